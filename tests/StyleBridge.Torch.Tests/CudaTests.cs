using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

/// <summary>
/// Runs only where TorchSharp finds a CUDA device (a <c>-p:TorchBackend=cuda</c> build on a GPU machine); skipped,
/// and reported as skipped, everywhere else.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        bool available;
        try
        {
            available = cuda.is_available();
        }
        catch (Exception)
        {
            available = false;
        }

        if (!available)
            Skip = "no CUDA device in this TorchSharp build or machine (build with -p:TorchBackend=cuda on a GPU machine)";
    }
}

public sealed class CudaTests
{
    private static readonly Device Gpu = new(DeviceType.CUDA, 0);

    [CudaFact]
    public void GoldenWeightsRoundTripThroughCudaInHalfPrecision()
    {
        using var weights = SafeTensors.Load(Golden.File("clip", "tiny_state.safetensors"));
        Assert.All(weights.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));

        foreach (var (name, t) in weights)
        {
            using var scope = NewDisposeScope();
            var onGpu = t.to(Gpu);
            Assert.Equal(DeviceType.CUDA, onGpu.device_type);
            TensorAssert.BitEqual(t, onGpu.cpu(), name + " float32");

            foreach (var half in new[] { ScalarType.Float16, ScalarType.BFloat16 })
            {
                // the device rounds float32 to half precision exactly as the CPU does
                var castOnCpu = t.to(half);
                var castOnGpu = onGpu.to(half);
                Assert.Equal(half, castOnGpu.dtype);
                TensorAssert.BitEqual(castOnCpu, castOnGpu.cpu(), $"{name} {half}");

                // values that half precision represents survive float32 -> half -> float32 on the device unchanged
                var representable = castOnCpu.to(ScalarType.Float32);
                var back = representable.to(half, Gpu).to(ScalarType.Float32).cpu();
                TensorAssert.BitEqual(representable, back, $"{name} {half} round trip");
            }
        }
    }

    [CudaFact]
    public void SavesCudaTensorsAndLoadsThemIntoACudaModule()
    {
        string path = Path.Combine(Path.GetTempPath(), "sb-cuda-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            using var scope = NewDisposeScope();
            using var gen = new Generator(3);
            var weight = randn([3, 4], generator: gen).to(ScalarType.Float16);
            var bias = randn([3], generator: gen).to(ScalarType.Float16);
            SafeTensors.Save(path, [new("weight", weight.to(Gpu)), new("bias", bias.to(Gpu))]);

            using var loaded = SafeTensors.Load(path);
            TensorAssert.BitEqual(weight, loaded["weight"], "weight");
            TensorAssert.BitEqual(bias, loaded["bias"], "bias");

            using var linear = nn.Linear(4, 3, device: Gpu, dtype: ScalarType.Float16);
            StateDicts.LoadInto(linear, loaded);
            var own = linear.state_dict();
            Assert.Equal(DeviceType.CUDA, own["weight"].device_type);
            TensorAssert.BitEqual(weight, own["weight"].cpu(), "module weight");
            TensorAssert.BitEqual(bias, own["bias"].cpu(), "module bias");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [CudaFact]
    public void OpsOnCudaMatchCpu()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        var x = randn([2, 8, 16, 16], generator: gen);
        var w = randn([4, 8, 3, 3], generator: gen);
        var m = randn([64, 32], generator: gen);

        var cpuConv = nn.functional.conv2d(x, w, padding: [1, 1]);
        var gpuConv = nn.functional.conv2d(x.to(Gpu), w.to(Gpu), padding: [1, 1]);
        Assert.Equal(DeviceType.CUDA, gpuConv.device_type);
        Assert.True(cpuConv.allclose(gpuConv.cpu(), rtol: 1e-3, atol: 1e-3));
        var mm = m.to(Gpu).matmul(m.to(Gpu).t());
        Assert.True(m.matmul(m.t()).allclose(mm.cpu(), rtol: 1e-3, atol: 1e-3));
        Assert.Equal(ScalarType.Float16, m.to(ScalarType.Float16, Gpu).softmax(-1).dtype);
        cuda.synchronize();
        using var onDevice = new Generator(1, Gpu);
        Assert.Equal(DeviceType.CUDA, randn([4], device: Gpu, generator: onDevice).device_type);
    }

    [CudaFact]
    public void CudaOutOfMemoryIsAnExceptionNotACrash()
    {
        using var scope = NewDisposeScope();

        Assert.ThrowsAny<Exception>(() => empty([1L << 40], device: Gpu));
        Assert.Equal(4, ones([4], device: Gpu).sum().item<float>());
    }
}
