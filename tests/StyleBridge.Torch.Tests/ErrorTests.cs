namespace StyleBridge.Torch.Tests;

/// <summary>Native failures become managed exceptions with libtorch's text, and the process carries on.</summary>
public class ErrorTests
{
    [Fact]
    public void MatmulShapeMismatchIsAManagedException()
    {
        using var scope = TensorScope.Begin();
        var a = LibTorch.Ones([2, 3]);
        var b = LibTorch.Ones([4, 5]);
        var e = Assert.ThrowsAny<TorchException>(() => a.Matmul(b));
        Assert.Contains("cannot be multiplied", e.Message);
        Assert.StartsWith("binary", e.Op);
        Assert.DoesNotContain("frame #", e.Message);
        // the process and the thread's next call are fine
        Assert.Equal(new long[] { 2, 5 }, a.Matmul(LibTorch.Ones([3, 5])).Shape);
    }

    [Fact]
    public void UnavailableDeviceIsAManagedException()
    {
        using var scope = TensorScope.Begin();
        if (Cuda.IsAvailable)
            return; // on a GPU machine this test has nothing to refuse; the CUDA op tests cover the device
        var e = Assert.ThrowsAny<TorchException>(() => LibTorch.Zeros([2], device: Device.Cuda(0)));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        var cpu = LibTorch.Ones([2]);
        Assert.ThrowsAny<TorchException>(() => cpu.To(Device.Cuda(0)));
    }

    [Fact]
    public void BadDtypeIsAnArgumentException()
    {
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<TorchArgumentException>(() => LibTorch.Zeros([2], (ScalarType)42));
        Assert.Contains("dtype", e.Message);
        var ints = LibTorch.Zeros([2], ScalarType.Int64);
        var floats = LibTorch.Ones([2]);
        var cast = Assert.ThrowsAny<TorchException>(() => ints.Add_(floats));
        Assert.Contains("can't be cast", cast.Message);
        Assert.ThrowsAny<TorchException>(() => floats.ToArray<long>());
    }

    [Fact]
    public void IndexErrorsAndBadViews()
    {
        using var scope = TensorScope.Begin();
        var t = LibTorch.Ones([2, 3]);
        Assert.ThrowsAny<TorchException>(() => t.Select(0, 5));
        Assert.ThrowsAny<TorchException>(() => t.View(4, 2));
        Assert.Throws<TorchArgumentException>(() => t.AsStrided([3, 3], [3, 1], 0));
        Assert.ThrowsAny<TorchException>(() => LibTorch.Cat([t, LibTorch.Ones([2, 3, 1])], 0));
        var missing = Assert.ThrowsAny<TorchException>(() => Tensor.MapFile("/nonexistent/file.bin"));
        Assert.Contains("/nonexistent/file.bin", missing.Message);
    }

    [Fact]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        var t = LibTorch.Ones([2]);
        t.Dispose();
        t.Dispose(); // idempotent
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.Sum());
    }
}
