using System.Runtime.InteropServices;

namespace StyleBridge.Torch.Native;

/// <summary>
/// Owns one reference to a native at::Tensor. SafeHandle keeps the tensor alive for the duration of every
/// P/Invoke that uses it, so a concurrent Dispose cannot free it under native code.
/// </summary>
internal sealed class TensorHandle : SafeHandle
{
    internal static long Live;
    internal static long FinalizedWithoutDispose;

    public TensorHandle(IntPtr ptr) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(ptr);
        Interlocked.Increment(ref Live);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override void Dispose(bool disposing)
    {
        if (!disposing && !IsClosed && !IsInvalid)
        {
            Interlocked.Increment(ref FinalizedWithoutDispose);
            TorchDiagnostics.ReportLeak();
        }
        base.Dispose(disposing);
    }

    protected override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref Live);
        return NativeMethods.sb_tensor_free(handle) == 0;
    }
}

internal sealed class GeneratorHandle : SafeHandle
{
    public GeneratorHandle(IntPtr ptr) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(ptr);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => NativeMethods.sb_generator_free(handle) == 0;
}
