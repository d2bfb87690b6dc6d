namespace StyleBridge.Torch.Tests;

/// <summary>Runs only where a CUDA build of the shim finds a device; skipped (and reported as such) elsewhere.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        bool available;
        try
        {
            available = Cuda.IsAvailable;
        }
        catch (Exception)
        {
            available = false;
        }

        if (!available)
            Skip = "no CUDA device in this build or machine";
    }
}

public class CudaOpsTests
{
    [CudaFact]
    public void OpsOnCudaMatchCpu()
    {
        using var scope = TensorScope.Begin();
        var cuda = Device.Cuda(0);
        using var gen = new Generator(3);
        var x = LibTorch.Randn([2, 8, 16, 16], gen);
        var w = LibTorch.Randn([4, 8, 3, 3], gen);
        var m = LibTorch.Randn([64, 32], gen);
        var cpuConv = Functional.Conv2d(x, w, null, 1, 1);
        var gpuConv = Functional.Conv2d(x.To(cuda), w.To(cuda), null, 1, 1);
        Assert.Equal(cuda, gpuConv.Device);
        Assert.True(cpuConv.AllClose(gpuConv.Cpu(), rtol: 1e-3, atol: 1e-3));
        var mm = m.To(cuda).Matmul(m.To(cuda).T());
        Assert.True(m.Matmul(m.T()).AllClose(mm.Cpu(), rtol: 1e-3, atol: 1e-3));
        var half = m.To(cuda, ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, Functional.Softmax(half, -1).Dtype);
        Cuda.Synchronize();
        var (allocated, reserved, _) = Cuda.MemoryStats();
        Assert.True(allocated > 0 && reserved >= allocated);
        using var g = new Generator(1, cuda);
        Assert.Equal(cuda, LibTorch.Randn([4], g).Device);
    }

    [CudaFact]
    public void CudaOutOfMemoryIsATypedException()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<TorchOutOfMemoryException>(() => LibTorch.Empty([1L << 40], device: Device.Cuda(0)));
        Cuda.EmptyCache();
        Assert.Equal(4, LibTorch.Ones([4], device: Device.Cuda(0)).Numel);
    }
}
