using System.Runtime.InteropServices;
using System.Text;

namespace StyleBridge.Torch.Tests;

/// <summary>Process-wide libtorch settings: OpenMP wait policy, thread count, host allocator.</summary>
[Collection(NativeStateCollection.Name)]
public sealed partial class TorchRuntimeTests
{
    [Fact]
    public void InitializeSetsTheWaitPolicyInBothEnvironments()
    {
        TorchRuntime.Initialize();

        // the process's own start-up environment: a policy the user set is kept, otherwise PASSIVE
        string expected = StartupEnvironment().GetValueOrDefault(TorchRuntime.WaitPolicyVariable) is { Length: > 0 } user
            ? user
            : TorchRuntime.DefaultWaitPolicy;
        Assert.Equal("OMP_WAIT_POLICY", TorchRuntime.WaitPolicyVariable);
        Assert.Equal("PASSIVE", TorchRuntime.DefaultWaitPolicy);
        Assert.Equal(expected, Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
        // libgomp reads the native environment, which .NET's managed copy does not update
        Assert.Equal(expected, NativeGetEnv(TorchRuntime.WaitPolicyVariable));
    }

    [Fact]
    public void ApplyEnvironmentKeepsAPolicyTheUserSet()
    {
        string? managed = Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable);
        try
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, "ACTIVE");
            TorchRuntime.ApplyEnvironment();
            Assert.Equal("ACTIVE", Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));

            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, null);
            TorchRuntime.ApplyEnvironment();
            Assert.Equal(TorchRuntime.DefaultWaitPolicy, Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, managed);
        }
    }

    [Fact]
    public void ThreadCountFollowsInitialize()
    {
        int original = get_num_threads();
        string? variable = Environment.GetEnvironmentVariable(TorchRuntime.ThreadsVariable);
        try
        {
            TorchRuntime.Initialize(threads: 1);
            Assert.Equal(1, get_num_threads());

            TorchRuntime.Initialize(threads: 2);
            Assert.Equal(2, get_num_threads());

            Environment.SetEnvironmentVariable(TorchRuntime.ThreadsVariable, "3");
            TorchRuntime.Initialize();
            Assert.Equal(3, get_num_threads());

            // an argument wins over the variable; a bad variable changes nothing
            TorchRuntime.Initialize(threads: 1);
            Assert.Equal(1, get_num_threads());
            foreach (string bad in new[] { "0", "-2", "many", "" })
            {
                Environment.SetEnvironmentVariable(TorchRuntime.ThreadsVariable, bad);
                TorchRuntime.Initialize();
                Assert.Equal(1, get_num_threads());
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.ThreadsVariable, variable);
            set_num_threads(original);
        }
        Assert.Equal(original, get_num_threads());
    }

    [Fact]
    public void ReportsLibTorchVersion()
    {
        TorchRuntime.Initialize();

        Assert.Equal(__version__, TorchRuntime.LibTorchVersion);
        Assert.Matches(@"^\d+\.\d+\.\d+", TorchRuntime.LibTorchVersion);
    }

    [Fact]
    public void HostAllocatorKeepsFreedMemoryUnlessTheUserOptsOut()
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

    /// <summary>The environment the process was started with (what exec passed, before any setenv).</summary>
    private static Dictionary<string, string> StartupEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in Encoding.UTF8.GetString(File.ReadAllBytes("/proc/self/environ")).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=');
            if (eq > 0)
                result.TryAdd(entry[..eq], entry[(eq + 1)..]);
        }
        return result;
    }

    private static string? NativeGetEnv(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);
}
