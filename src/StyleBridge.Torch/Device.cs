using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}

/// <summary>A device as libtorch names it: "cpu", "cuda", "cuda:1".</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device Cpu = new(DeviceType.Cpu);

    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    public bool IsCuda => Type == DeviceType.Cuda;

    public static Device Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string s = text.Trim().ToLowerInvariant();
        if (s == "cpu")
            return Cpu;
        if (s == "cuda")
            return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int index) && index >= 0)
            return Cuda(index);
        throw new FormatException($"'{text}' is not a device (expected cpu, cuda or cuda:N)");
    }

    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";

    internal int NativeIndex => Index < 0 ? 0 : Index;
}

/// <summary>CUDA queries; every call is safe on a CPU-only build.</summary>
public static class Cuda
{
    public static bool IsAvailable
    {
        get
        {
            Status.Check(NativeMethods.sb_cuda_is_available(out int available));
            return available != 0;
        }
    }

    public static int DeviceCount
    {
        get
        {
            Status.Check(NativeMethods.sb_cuda_device_count(out int count));
            return count;
        }
    }

    public static void Synchronize(int device = 0) => Status.Check(NativeMethods.sb_cuda_synchronize(device));

    public static void EmptyCache() => Status.Check(NativeMethods.sb_cuda_empty_cache());

    public static (long Allocated, long Reserved, long PeakAllocated) MemoryStats(int device = 0)
    {
        Status.Check(NativeMethods.sb_cuda_memory_stats(device, out long allocated, out long reserved, out long peak));
        return (allocated, reserved, peak);
    }
}
