namespace StyleBridge.Torch;

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost scope, unless the tensor was moved out
/// (<see cref="Tensor.MoveToOuterScope"/>) or detached (<see cref="Tensor.DetachFromScope"/>).
/// </summary>
/// <remarks>
/// libtorch's grad and inference modes are per thread, and so are scopes: begin and end a scope on the same
/// thread, with no <c>await</c> in between, innermost first. Breaking either rule throws.
/// </remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static bool strict;

    private readonly List<Tensor> owned = [];
    private readonly int threadId = Environment.CurrentManagedThreadId;
    private bool disposed;

    private TensorScope(TensorScope? outer) => Outer = outer;

    /// <summary>The innermost scope of the calling thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>
    /// When set, creating a tensor on this thread outside any scope throws. Worker threads and tests turn it on so
    /// that an unowned tensor is a bug found at once rather than a slow leak.
    /// </summary>
    public static bool Strict
    {
        get => strict;
        set => strict = value;
    }

    public TensorScope? Outer { get; }

    /// <summary>Tensors this scope will dispose.</summary>
    public int Count => owned.Count;

    public static TensorScope Begin()
    {
        var scope = new TensorScope(current);
        current = scope;
        return scope;
    }

    internal static void Register(Tensor tensor)
    {
        var scope = current;
        if (scope is null)
        {
            if (strict)
            {
                tensor.Dispose();
                throw new InvalidOperationException("a tensor was created outside any TensorScope while TensorScope.Strict is on");
            }

            return;
        }

        scope.owned.Add(tensor);
        tensor.Scope = scope;
    }

    internal void Remove(Tensor tensor)
    {
        int i = owned.LastIndexOf(tensor);
        if (i >= 0)
            owned.RemoveAt(i);
    }

    internal void Adopt(Tensor tensor)
    {
        owned.Add(tensor);
        tensor.Scope = this;
    }

    public void Dispose()
    {
        if (disposed)
            return;
        if (Environment.CurrentManagedThreadId != threadId)
            throw new InvalidOperationException("a TensorScope must be disposed on the thread that began it (was there an await inside it?)");
        if (!ReferenceEquals(current, this))
            throw new InvalidOperationException("TensorScopes must be disposed innermost first");

        disposed = true;
        current = Outer;
        foreach (var tensor in owned)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }

        owned.Clear();
    }
}
