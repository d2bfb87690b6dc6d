namespace StyleBridge.Torch.Tests;

/// <summary>Worker threads each own their scopes, modes and error records.</summary>
[Collection(NativeStateCollection.Name)]
public class ThreadingTests
{
    [Fact]
    public void ConcurrentWorkersKeepTheirOwnErrorsScopesAndModes()
    {
        long before = TorchDiagnostics.LiveTensors;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        void Worker(bool matmulFails)
        {
            try
            {
                TensorScope.Strict = true;
                for (int i = 0; i < 200; i++)
                {
                    using var scope = TensorScope.Begin();
                    using var noGrad = LibTorch.NoGrad();
                    var a = LibTorch.Ones([8, 8]).Mul(i);
                    var e = Assert.ThrowsAny<TorchException>(() => matmulFails ? a.Matmul(LibTorch.Ones([3, 3])) : a.Select(0, 99));
                    // the message read after the failure is this thread's, never the other worker's
                    Assert.Contains(matmulFails ? "cannot be multiplied" : "out of range", e.Message);
                    Assert.False(LibTorch.IsGradEnabled);
                    Assert.Equal(512.0 * i, a.Matmul(LibTorch.Ones([8, 8])).Sum().Item<double>(), 3);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e.ToString());
            }
            finally
            {
                TensorScope.Strict = false;
            }
        }

        var threads = new[] { new Thread(() => Worker(true)), new Thread(() => Worker(false)) };
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            t.Join();

        Assert.Empty(failures);
        Assert.True(LibTorch.IsGradEnabled); // the workers' no-grad never reached this thread
        Assert.Equal(before, TorchDiagnostics.LiveTensors);
    }
}
