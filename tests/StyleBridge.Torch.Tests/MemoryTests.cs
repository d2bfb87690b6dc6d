namespace StyleBridge.Torch.Tests;

[Collection(NativeStateCollection.Name)]
public class MemoryTests
{
    private static long RssBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS");
    }

    private static void Churn(int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            using var scope = TensorScope.Begin();
            var a = LibTorch.Ones([64, 64]);
            var b = (a * 2).Add(1).Matmul(a);
            _ = b.Sum().Item<float>();
        }
    }

    [Fact]
    public void HundredThousandScopedOpsKeepRssFlat()
    {
        long live = TorchDiagnostics.LiveTensors;
        Churn(5_000); // warm allocator caches and the JIT
        long before = RssBytes();
        Churn(25_000); // 4 ops each: 100,000 op iterations
        GC.Collect();
        long after = RssBytes();
        Assert.Equal(live, TorchDiagnostics.LiveTensors);
        // 100k leaked 16 KiB tensors would be 1.6 GB; allow allocator noise only.
        Assert.True(after - before < 64L << 20, $"RSS grew by {(after - before) >> 20} MiB");
    }

    [Fact]
    public void LeakedTensorsAreFinalizedCountedAndReported()
    {
        long finalizedBefore = TorchDiagnostics.FinalizedWithoutDispose;
        int reported = 0;
        void OnLeak() => Interlocked.Increment(ref reported);
        TorchDiagnostics.LeakDetected += OnLeak;
        try
        {
            Leak(10);
            for (int i = 0; i < 5 && TorchDiagnostics.FinalizedWithoutDispose - finalizedBefore < 10; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.True(TorchDiagnostics.FinalizedWithoutDispose - finalizedBefore >= 10);
            Assert.True(reported >= 10);
        }
        finally
        {
            TorchDiagnostics.LeakDetected -= OnLeak;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Leak(int count)
    {
        for (int i = 0; i < count; i++)
            _ = LibTorch.Ones([1024]);
    }
}

[Collection(NativeStateCollection.Name)]
public class HostAllocatorTests
{
    [Fact]
    public void KeepsFreedMemoryUnlessTheUserOptsOut()
    {
        string? previous = Environment.GetEnvironmentVariable("STYLEBRIDGE_HOST_ALLOCATOR");
        try
        {
            Environment.SetEnvironmentVariable("STYLEBRIDGE_HOST_ALLOCATOR", "default");
            Assert.False(HostAllocator.KeepFreedMemory());
            Environment.SetEnvironmentVariable("STYLEBRIDGE_HOST_ALLOCATOR", null);
            Assert.Equal(OperatingSystem.IsLinux(), HostAllocator.KeepFreedMemory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("STYLEBRIDGE_HOST_ALLOCATOR", previous);
        }
    }
}
