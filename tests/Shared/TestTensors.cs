namespace StyleBridge.Tests.Shared;

/// <summary>Short forms the tests use to build and read tensors (TorchSharp underneath).</summary>
public static class Tensors
{
    public static torch.Tensor Randn(long[] shape, torch.Generator? generator = null, torch.ScalarType dtype = torch.ScalarType.Float32) =>
        torch.randn(shape, dtype, generator: generator);

    public static torch.Tensor Rand(long[] shape, torch.Generator? generator = null, torch.ScalarType dtype = torch.ScalarType.Float32) =>
        torch.rand(shape, dtype, generator: generator);

    public static torch.Tensor Arange(double end, torch.ScalarType dtype = torch.ScalarType.Int64) => torch.arange(0, end, 1, dtype);

    public static torch.Tensor Arange(double start, double end, double step = 1, torch.ScalarType dtype = torch.ScalarType.Int64) => torch.arange(start, end, step, dtype);

    public static torch.Tensor Scalar(double value, torch.ScalarType dtype = torch.ScalarType.Float32) => torch.full(Array.Empty<long>(), value, dtype);

    public static void ManualSeed(long seed) => torch.manual_seed(seed);

    /// <summary>Tensors alive on this thread (TorchSharp's dispose-scope statistics).</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    public static T[] ToArray<T>(this torch.Tensor t) where T : unmanaged
    {
        using var c = t.cpu().contiguous();
        return c.data<T>().ToArray();
    }

    /// <summary>Same shape, dtype and elements (torch.equal).</summary>
    public static bool Equal(this torch.Tensor a, torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && (a.numel() == 0 || a.eq(b).all().item<bool>());
}
