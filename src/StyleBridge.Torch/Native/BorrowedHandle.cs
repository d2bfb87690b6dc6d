namespace StyleBridge.Torch.Native;

/// <summary>
/// A raw pointer to an (optional) tensor for calls that take NULL or pointer arrays, with the SafeHandle's
/// reference count held until disposal so the tensor cannot be freed during the call.
/// </summary>
internal readonly struct BorrowedHandle : IDisposable
{
    private readonly TensorHandle? handle;

    public BorrowedHandle(Tensor? tensor)
    {
        if (tensor is null)
            return;
        handle = tensor.Handle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        Ptr = handle.DangerousGetHandle();
    }

    public IntPtr Ptr { get; }

    public void Dispose() => handle?.DangerousRelease();
}

/// <summary>The same for a list of tensors (entries may be null when the callee accepts NULL).</summary>
internal sealed class BorrowedHandles : IDisposable
{
    private readonly BorrowedHandle[] borrowed;

    public BorrowedHandles(IReadOnlyList<Tensor?> tensors)
    {
        borrowed = new BorrowedHandle[tensors.Count];
        Ptrs = new IntPtr[tensors.Count];
        try
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                borrowed[i] = new BorrowedHandle(tensors[i]);
                Ptrs[i] = borrowed[i].Ptr;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IntPtr[] Ptrs { get; }

    public void Dispose()
    {
        foreach (var b in borrowed)
            b.Dispose();
    }
}

/// <summary>Reads and frees a native tensor list, wrapping each element as an owned Tensor.</summary>
internal static class TensorList
{
    public static Tensor?[] Take(IntPtr list)
    {
        try
        {
            Status.Check(NativeMethods.sb_list_len(list, out long n));
            var result = new Tensor?[n];
            for (long i = 0; i < n; i++)
            {
                Status.Check(NativeMethods.sb_list_take(list, i, out IntPtr t));
                result[i] = Tensor.WrapNullable(t);
            }

            return result;
        }
        finally
        {
            NativeMethods.sb_list_free(list);
        }
    }

    public static Tensor[] TakeAll(IntPtr list) => Take(list).Select(t => t ?? throw new InvalidOperationException("undefined tensor in list")).ToArray();

    public static unsafe List<(string Name, Tensor Tensor)> TakeNamed(IntPtr list)
    {
        try
        {
            Status.Check(NativeMethods.sb_list_len(list, out long n));
            var result = new List<(string, Tensor)>((int)n);
            for (long i = 0; i < n; i++)
            {
                Status.Check(NativeMethods.sb_list_name(list, i, null, 0, out long needed));
                var buf = new byte[needed + 1];
                fixed (byte* p = buf)
                    Status.Check(NativeMethods.sb_list_name(list, i, p, buf.Length, out _));
                Status.Check(NativeMethods.sb_list_take(list, i, out IntPtr t));
                result.Add((System.Text.Encoding.UTF8.GetString(buf, 0, (int)needed), Tensor.Wrap(t)));
            }

            return result;
        }
        finally
        {
            NativeMethods.sb_list_free(list);
        }
    }
}
