using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace StyleBridge.Torch;

/// <summary>
/// Process-wide settings for libtorch, applied once before TorchSharp loads it: the OpenMP wait policy, the host
/// allocator and the intra-op thread count. Every entry point (CLI, service, benchmarks, tests) calls
/// <see cref="Initialize"/> first; the module initializer applies the environment part as soon as this assembly loads.
/// </summary>
/// <remarks>
/// libgomp reads <c>OMP_WAIT_POLICY</c> once, when it loads. With its default (active) waiting, idle OpenMP workers
/// spin on the cores that the next parallel region needs; measured on libtorch 2.10 (docs/performance.md), PASSIVE is
/// the faster default here. A policy the user set is kept. .NET keeps its own copy of the environment on Unix, so the
/// native one, which libgomp reads, is set with libc's <c>setenv</c> as well (child processes see the managed one).
/// </remarks>
public static partial class TorchRuntime
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    public const string DefaultWaitPolicy = "PASSIVE";
    public const string ThreadsVariable = "STYLEBRIDGE_THREADS";

    private static readonly Lock Gate = new();
    private static bool initialized;

#pragma warning disable CA2255 // the wait policy must be in place before any code of ours can touch TorchSharp
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ApplyEnvironment()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WaitPolicyVariable)))
            return;
        Environment.SetEnvironmentVariable(WaitPolicyVariable, DefaultWaitPolicy);
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            SetEnv(WaitPolicyVariable, DefaultWaitPolicy, overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc setenv: libgomp keeps its own default
        }
    }

    /// <summary>
    /// Applies the defaults and loads libtorch. Threads: <paramref name="threads"/>, else <c>STYLEBRIDGE_THREADS</c>,
    /// else libtorch's default (one per core). Idempotent; later calls only change the thread count when given one.
    /// </summary>
    public static void Initialize(int? threads = null)
    {
        lock (Gate)
        {
            if (!initialized)
            {
                ApplyEnvironment();
                HostAllocator.KeepFreedMemory();
                initialized = true;
            }
            threads ??= int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out int n) && n > 0 ? n : null;
            if (threads is { } count)
                torch.set_num_threads(count);
        }
    }

    /// <summary>libtorch's version as TorchSharp reports it (e.g. 2.10.0).</summary>
    public static string LibTorchVersion => torch.__version__;

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
