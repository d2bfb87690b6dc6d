using System.Runtime.InteropServices;

namespace StyleBridge.Torch.Native;

/// <summary>
/// Process-wide threading defaults that must be in place before libtorch (and with it libgomp) is loaded.
/// </summary>
/// <remarks>
/// libgomp reads <c>OMP_WAIT_POLICY</c> once, when it loads. Debian's libtorch runs matrix products on OpenBLAS's own
/// pthreads and most other ops on OpenMP; with OpenMP's default active waiting, idle OpenMP workers keep spinning on
/// the cores the OpenBLAS threads need. On a 2-core machine that makes ViT-B/32 image encoding 1.6x slower, in our
/// binding and in python3-torch alike. Unless the user chose a policy, we use PASSIVE. The value is also put into the
/// managed environment, so child processes (the benchmarks' Python side) run under the same policy.
/// </remarks>
internal static partial class NativeThreading
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    public const string DefaultWaitPolicy = "PASSIVE";

    public static void ApplyDefaults()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WaitPolicyVariable)))
            return;
        Environment.SetEnvironmentVariable(WaitPolicyVariable, DefaultWaitPolicy);
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            // .NET keeps its own copy of the environment on Unix: the native one, which libgomp reads, needs setenv.
            SetEnv(WaitPolicyVariable, DefaultWaitPolicy, overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc setenv: libgomp keeps its own default
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
