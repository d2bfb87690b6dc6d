using System.Runtime.InteropServices;
using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

/// <summary>
/// A libtorch tensor. Every op returns a new tensor that the caller owns; inputs are borrowed. In-place ops
/// (names ending in an underscore, as in PyTorch) return the receiver itself, not a new handle.
/// Dispose tensors deterministically (<c>using</c> or a <see cref="TensorScope"/>); the finalizer is a counted
/// safety net (<see cref="TorchDiagnostics.FinalizedWithoutDispose"/>), not a strategy.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle handle;
    private long[]? shape;
    private ScalarType? dtype;
    private Device? device;

    internal Tensor(IntPtr ptr)
    {
        if (ptr == IntPtr.Zero)
            throw new ArgumentException("null tensor handle", nameof(ptr));
        handle = new TensorHandle(ptr);
        TensorScope.Register(this);
    }

    internal TensorScope? Scope { get; set; }

    internal TensorHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle;
        }
    }

    public bool IsDisposed => handle.IsClosed;

    internal static Tensor Wrap(IntPtr ptr) => new(ptr);

    internal static Tensor? WrapNullable(IntPtr ptr) => ptr == IntPtr.Zero ? null : new Tensor(ptr);

    public void Dispose()
    {
        if (handle.IsClosed)
            return;
        Scope?.Remove(this);
        Scope = null;
        handle.Dispose();
    }

    // ---- scopes ----

    /// <summary>Hands this tensor to the scope outside its current one (or to no scope). Returns this.</summary>
    public Tensor MoveToOuterScope()
    {
        var scope = Scope;
        if (scope is null)
            return this;
        scope.Remove(this);
        Scope = null;
        if (scope.Outer is { } outer)
            outer.Adopt(this);
        return this;
    }

    /// <summary>Takes this tensor out of every scope: the caller now disposes it (parameters, caches). Returns this.</summary>
    public Tensor DetachFromScope()
    {
        Scope?.Remove(this);
        Scope = null;
        return this;
    }

    // ---- metadata ----

    public long[] Shape
    {
        get
        {
            if (shape is null)
            {
                Status.Check(NativeMethods.sb_tensor_dim(Handle, out long dim));
                var s = new long[dim];
                unsafe
                {
                    fixed (long* p = s)
                        Status.Check(NativeMethods.sb_tensor_sizes(Handle, p, dim));
                }

                shape = s;
            }

            return (long[])shape.Clone();
        }
    }

    private long[] ShapeRef
    {
        get
        {
            if (shape is null)
                _ = Shape;
            return shape!;
        }
    }

    public int Dim => ShapeRef.Length;

    public long Numel
    {
        get
        {
            long n = 1;
            foreach (long d in ShapeRef)
                n *= d;
            return n;
        }
    }

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public long Size(int dim)
    {
        var s = ShapeRef;
        int d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"dim {dim} of a {s.Length}-D tensor");
        return s[d];
    }

    public ScalarType Dtype
    {
        get
        {
            if (dtype is null)
            {
                Status.Check(NativeMethods.sb_tensor_dtype(Handle, out int code));
                dtype = (ScalarType)code;
            }

            return dtype.Value;
        }
    }

    public Device Device
    {
        get
        {
            if (device is null)
            {
                Status.Check(NativeMethods.sb_tensor_device(Handle, out int type, out int index));
                device = new Device((DeviceType)type, index);
            }

            return device.Value;
        }
    }

    public long[] Strides
    {
        get
        {
            var s = new long[Dim];
            unsafe
            {
                fixed (long* p = s)
                    Status.Check(NativeMethods.sb_tensor_strides(Handle, p, s.Length));
            }

            return s;
        }
    }

    public long StorageOffset
    {
        get
        {
            Status.Check(NativeMethods.sb_tensor_storage_offset(Handle, out long offset));
            return offset;
        }
    }

    public bool IsContiguous
    {
        get
        {
            Status.Check(NativeMethods.sb_tensor_is_contiguous(Handle, out int c));
            return c != 0;
        }
    }

    /// <summary>Whether the strides are the dense ones of <paramref name="format"/>.</summary>
    public bool IsContiguousIn(MemoryFormat format)
    {
        Status.Check(NativeMethods.sb_tensor_is_contiguous_format(Handle, (int)format, out int c));
        return c != 0;
    }

    public bool RequiresGrad
    {
        get
        {
            Status.Check(NativeMethods.sb_tensor_requires_grad(Handle, out int r));
            return r != 0;
        }
    }

    public bool IsInference
    {
        get
        {
            Status.Check(NativeMethods.sb_is_inference(Handle, out int r));
            return r != 0;
        }
    }

    public override string ToString() =>
        handle.IsClosed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", ShapeRef)}], {Dtype}, {Device})";

    /// <summary>Replaces this tensor's data (storage, dtype, device) with <paramref name="source"/>'s, keeping the handle.</summary>
    public void SetData(Tensor source)
    {
        Status.Check(NativeMethods.sb_tensor_set_data(Handle, source.Handle));
        shape = null;
        dtype = null;
        device = null;
    }

    // ---- data in ----

    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged =>
        FromSpan<T>(data, shape.Length == 0 ? [data.LongLength] : shape);

    public static unsafe Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(data);
        return FromBytes(bytes, ScalarTypeExtensions.Of<T>(), shape);
    }

    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType dtype, ReadOnlySpan<long> shape, Device? device = null)
    {
        var dev = device ?? Device.Cpu;
        IntPtr r;
        fixed (byte* p = bytes)
        fixed (long* s = shape)
            Status.Check(NativeMethods.sb_tensor_from_buffer(p, bytes.Length, (int)dtype, s, shape.Length, (int)dev.Type, dev.NativeIndex, out r));
        return Wrap(r);
    }

    /// <summary>A whole file as a 1-D UInt8 tensor over a private copy-on-write memory map (no copy, no read).</summary>
    public static Tensor MapFile(string path)
    {
        Status.Check(NativeMethods.sb_tensor_map_file(path, out IntPtr r));
        return Wrap(r);
    }

    // ---- data out ----

    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var type = ScalarTypeExtensions.Of<T>();
        if (type != Dtype)
            throw new TorchArgumentException(TorchErrorCode.Argument, $"copy_to: tensor is {Dtype}, destination is {type}", null);
        if (destination.Length != Numel)
            throw new TorchArgumentException(TorchErrorCode.Argument, $"copy_to: tensor has {Numel} elements, destination {destination.Length}", null);
        var bytes = MemoryMarshal.AsBytes(destination);
        fixed (byte* p = bytes)
            Status.Check(NativeMethods.sb_tensor_copy_to(Handle, p, bytes.Length));
    }

    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[Numel];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>The elements in C order as raw little-endian bytes (device tensors are copied to the host).</summary>
    public unsafe byte[] ToBytes()
    {
        var result = new byte[Numel * Dtype.ElementSize()];
        fixed (byte* p = result)
            Status.Check(NativeMethods.sb_tensor_copy_to(Handle, p, result.Length));
        return result;
    }

    public T Item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(Half))
        {
            Status.Check(NativeMethods.sb_tensor_item_double(Handle, out double v));
            if (typeof(T) == typeof(float)) return (T)(object)(float)v;
            if (typeof(T) == typeof(Half)) return (T)(object)(Half)v;
            return (T)(object)v;
        }

        Status.Check(NativeMethods.sb_tensor_item_int64(Handle, out long i));
        if (typeof(T) == typeof(long)) return (T)(object)i;
        if (typeof(T) == typeof(int)) return (T)(object)checked((int)i);
        if (typeof(T) == typeof(short)) return (T)(object)checked((short)i);
        if (typeof(T) == typeof(byte)) return (T)(object)checked((byte)i);
        if (typeof(T) == typeof(bool)) return (T)(object)(i != 0);
        throw new NotSupportedException($"Item<{typeof(T).Name}>");
    }
}
