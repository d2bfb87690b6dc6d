namespace StyleBridge.Torch.Tests.TestSupport;

public static class TensorValues
{
    /// <summary>The elements in C order, copied to a managed array (any device, any layout; T must match the dtype).</summary>
    public static T[] Values<T>(this Tensor t) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        return t.cpu().contiguous().data<T>().ToArray();
    }
}
