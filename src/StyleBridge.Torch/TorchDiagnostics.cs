using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

/// <summary>Process-wide tensor accounting: the numbers a server exports to prove it does not leak.</summary>
public static class TorchDiagnostics
{
    /// <summary>Native tensor handles currently alive.</summary>
    public static long LiveTensors => Interlocked.Read(ref TensorHandle.Live);

    /// <summary>Handles that reached the finalizer instead of being disposed: each is a bug in the caller.</summary>
    public static long FinalizedWithoutDispose => Interlocked.Read(ref TensorHandle.FinalizedWithoutDispose);

    /// <summary>
    /// Called (on the finalizer thread) for every handle released by the safety net; a host subscribes its logger.
    /// Without a subscriber each such release is reported on standard error.
    /// </summary>
    public static event Action? LeakDetected;

    internal static void ReportLeak()
    {
        try
        {
            var handlers = LeakDetected;
            if (handlers is null)
                Console.Error.WriteLine($"StyleBridge.Torch: a tensor reached the finalizer without Dispose ({FinalizedWithoutDispose} so far)");
            else
                handlers();
        }
        catch
        {
            // A logging failure must never take down the finalizer thread.
        }
    }
}
