using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

// Views, reshapes, indexing and conversions.
public sealed partial class Tensor
{
    private unsafe Tensor ShapeOp(ShapeOp op, ReadOnlySpan<long> dims)
    {
        IntPtr r;
        fixed (long* d = dims)
            Status.Check(NativeMethods.sb_shape_op((int)op, Handle, d, dims.Length, out r));
        return Wrap(r);
    }

    public Tensor View(params long[] shape) => ShapeOp(Native.ShapeOp.View, shape);
    public Tensor Reshape(params long[] shape) => ShapeOp(Native.ShapeOp.Reshape, shape);
    public Tensor Permute(params long[] dims) => ShapeOp(Native.ShapeOp.Permute, dims);
    public Tensor Expand(params long[] shape) => ShapeOp(Native.ShapeOp.Expand, shape);
    public Tensor ExpandAs(Tensor other) => Expand(other.Shape);
    public Tensor Repeat(params long[] repeats) => ShapeOp(Native.ShapeOp.Repeat, repeats);
    public Tensor Flip(params long[] dims) => ShapeOp(Native.ShapeOp.Flip, dims);

    public Tensor Transpose(int dim0, int dim1)
    {
        Status.Check(NativeMethods.sb_transpose(Handle, dim0, dim1, out IntPtr r));
        return Wrap(r);
    }

    /// <summary>Transpose of a 2-D tensor (PyTorch's <c>.t()</c>).</summary>
    public Tensor T() => Transpose(0, 1);

    public Tensor Unsqueeze(int dim)
    {
        Status.Check(NativeMethods.sb_unsqueeze(Handle, dim, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Squeeze(int dim)
    {
        Status.Check(NativeMethods.sb_squeeze(Handle, dim, 0, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Squeeze()
    {
        Status.Check(NativeMethods.sb_squeeze(Handle, 0, 1, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        Status.Check(NativeMethods.sb_flatten(Handle, startDim, endDim, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Narrow(int dim, long start, long length)
    {
        Status.Check(NativeMethods.sb_narrow(Handle, dim, start, length, out IntPtr r));
        return Wrap(r);
    }

    /// <summary>Python's <c>x[..., start:end:step, ...]</c> on one dim; <paramref name="end"/> null means to the end.</summary>
    public Tensor Slice(int dim, long start, long? end = null, long step = 1)
    {
        Status.Check(NativeMethods.sb_slice(Handle, dim, start, end ?? long.MaxValue, step, out IntPtr r));
        return Wrap(r);
    }

    /// <summary>Python's <c>x[..., index, ...]</c>: removes the dim.</summary>
    public Tensor Select(int dim, long index)
    {
        Status.Check(NativeMethods.sb_select(Handle, dim, index, out IntPtr r));
        return Wrap(r);
    }

    public Tensor IndexSelect(int dim, Tensor index)
    {
        Status.Check(NativeMethods.sb_index_select(Handle, dim, index.Handle, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Gather(int dim, Tensor index)
    {
        Status.Check(NativeMethods.sb_gather(Handle, dim, index.Handle, out IntPtr r));
        return Wrap(r);
    }

    /// <summary>A view with explicit sizes, strides and storage offset, checked against the storage's bounds.</summary>
    public unsafe Tensor AsStrided(long[] size, long[] stride, long storageOffset = 0)
    {
        if (size.Length != stride.Length)
            throw new ArgumentException("size and stride differ in length");
        IntPtr r;
        fixed (long* s = size)
        fixed (long* st = stride)
            Status.Check(NativeMethods.sb_as_strided(Handle, s, st, size.Length, storageOffset, out r));
        return Wrap(r);
    }

    /// <summary>Reinterprets the bytes as another dtype (PyTorch's <c>view(dtype)</c>).</summary>
    public Tensor ViewAs(ScalarType dtype)
    {
        Status.Check(NativeMethods.sb_view_dtype(Handle, (int)dtype, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Triu(long diagonal = 0)
    {
        Status.Check(NativeMethods.sb_triangle(1, Handle, diagonal, out IntPtr r));
        return Wrap(r);
    }

    public Tensor Tril(long diagonal = 0)
    {
        Status.Check(NativeMethods.sb_triangle(0, Handle, diagonal, out IntPtr r));
        return Wrap(r);
    }

    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        Status.Check(NativeMethods.sb_chunk(Handle, chunks, dim, out IntPtr list));
        return TensorList.TakeAll(list);
    }

    public unsafe Tensor[] Split(long[] sizes, int dim = 0)
    {
        IntPtr list;
        fixed (long* s = sizes)
            Status.Check(NativeMethods.sb_split(Handle, s, sizes.Length, dim, out list));
        return TensorList.TakeAll(list);
    }

    public Tensor[] Split(long size, int dim = 0)
    {
        long total = Size(dim);
        var sizes = new List<long>();
        for (long at = 0; at < total; at += size)
            sizes.Add(Math.Min(size, total - at));
        return Split(sizes.ToArray(), dim);
    }

    /// <summary>
    /// A dense copy in the given memory format (this tensor itself, as a new handle, when it already is). Shape and
    /// indexing are unchanged; only the strides differ. Channels-last makes some CPU convolutions much faster.
    /// </summary>
    public Tensor Contiguous(MemoryFormat format)
    {
        Status.Check(NativeMethods.sb_contiguous_format(Handle, (int)format, out IntPtr r));
        return Wrap(r);
    }

    // ---- conversions ----
    private Tensor ToNative(int dtype, int deviceType, int deviceIndex, bool copy)
    {
        Status.Check(NativeMethods.sb_to(Handle, dtype, deviceType, deviceIndex, copy ? (byte)1 : (byte)0, out IntPtr r));
        return Wrap(r);
    }

    /// <summary>A tensor of the given dtype (a new handle even when nothing changes, like every op).</summary>
    public Tensor To(ScalarType dtype, bool copy = false) => ToNative((int)dtype, -1, -1, copy);

    public Tensor To(Device device, bool copy = false) => ToNative(-1, (int)device.Type, device.NativeIndex, copy);

    public Tensor To(Device device, ScalarType dtype, bool copy = false) => ToNative((int)dtype, (int)device.Type, device.NativeIndex, copy);

    public Tensor Float() => To(ScalarType.Float32);
    public Tensor Double() => To(ScalarType.Float64);
    public Tensor Half() => To(ScalarType.Float16);
    public Tensor Long() => To(ScalarType.Int64);
    public Tensor Cpu() => To(Device.Cpu);

    // ---- autograd ----
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        Status.Check(NativeMethods.sb_requires_grad_(Handle, requiresGrad ? (byte)1 : (byte)0));
        return this;
    }

    /// <summary>The accumulated gradient (a new handle the caller owns), or null.</summary>
    public Tensor? Grad
    {
        get
        {
            Status.Check(NativeMethods.sb_grad(Handle, out IntPtr r));
            return WrapNullable(r);
        }
    }

    /// <summary>Sets (or, with null, clears) the accumulated gradient.</summary>
    public void SetGrad(Tensor? grad)
    {
        using var g = new BorrowedHandle(grad);
        Status.Check(NativeMethods.sb_set_grad(Handle, g.Ptr));
    }

    public Tensor Detach()
    {
        Status.Check(NativeMethods.sb_detach(Handle, out IntPtr r));
        return Wrap(r);
    }

    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        using var g = new BorrowedHandle(gradient);
        Status.Check(NativeMethods.sb_backward(Handle, g.Ptr, retainGraph ? (byte)1 : (byte)0, createGraph ? (byte)1 : (byte)0));
    }

    /// <summary>A second owned handle to this same tensor (shares storage and autograd identity).</summary>
    public Tensor Alias()
    {
        Status.Check(NativeMethods.sb_tensor_shallow_clone(Handle, out IntPtr r));
        return Wrap(r);
    }
}
