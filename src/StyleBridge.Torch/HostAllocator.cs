using System.Runtime.InteropServices;

namespace StyleBridge.Torch;

/// <summary>
/// Host memory for CPU tensors. glibc hands every freed block above its mmap threshold (at most 32 MiB by default)
/// back to the kernel, so each large activation of a 1024² synthesis (128 MiB per 32-channel map) is page-faulted in
/// afresh, which costs as much as the convolution writing it. Keeping freed memory in the heap lets the next layer reuse it; the price is
/// that the process keeps its peak footprint. Linux/glibc only; elsewhere a no-op.
/// </summary>
public static partial class HostAllocator
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    /// <summary>
    /// Serves large allocations from the heap and never trims it. Process-wide; call once at start-up. Setting the
    /// environment variable <c>STYLEBRIDGE_HOST_ALLOCATOR=default</c> leaves glibc's behaviour alone. Returns whether
    /// the setting took effect.
    /// </summary>
    public static bool KeepFreedMemory(int mmapThresholdBytes = 1 << 30)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("STYLEBRIDGE_HOST_ALLOCATOR") == "default")
            return false;
        try
        {
            return Mallopt(MmapThreshold, mmapThresholdBytes) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no mallopt)
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);
}
