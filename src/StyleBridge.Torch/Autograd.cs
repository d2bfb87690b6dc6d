using StyleBridge.Torch.Native;

namespace StyleBridge.Torch;

public static class Autograd
{
    /// <summary>
    /// torch.autograd.grad: gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>
    /// (null where an input is unused). With <paramref name="createGraph"/> the result can be differentiated again.
    /// </summary>
    public static unsafe Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null, bool retainGraph = false, bool createGraph = false)
    {
        using var outs = new BorrowedHandles(outputs);
        using var ins = new BorrowedHandles(inputs);
        using var gos = gradOutputs is null ? null : new BorrowedHandles(gradOutputs);
        IntPtr list;
        fixed (IntPtr* po = outs.Ptrs)
        fixed (IntPtr* pi = ins.Ptrs)
        fixed (IntPtr* pg = gos?.Ptrs)
            Status.Check(NativeMethods.sb_autograd_grad(po, outs.Ptrs.Length, pi, ins.Ptrs.Length, gos is null ? null : pg,
                retainGraph || createGraph ? (byte)1 : (byte)0, createGraph ? (byte)1 : (byte)0, out list));
        return TensorList.Take(list);
    }
}
