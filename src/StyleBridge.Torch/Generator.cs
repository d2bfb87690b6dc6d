using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

/// <summary>
/// An explicit random-number generator. A CPU generator seeded with s draws exactly what Python's
/// <c>torch.Generator().manual_seed(s)</c> draws on the same libtorch.
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly GeneratorHandle handle;

    public Generator(long seed, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        Status.Check(NativeMethods.sb_generator_new(seed, (int)d.Type, d.NativeIndex, out IntPtr ptr));
        handle = new GeneratorHandle(ptr);
        Device = d;
    }

    public Device Device { get; }

    internal IntPtr Ptr
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    public void ManualSeed(long seed) => Status.Check(NativeMethods.sb_generator_manual_seed(handle, seed));

    public void Dispose() => handle.Dispose();
}
