namespace StyleBridge.Torch;

/// <summary>
/// A TorchSharp <see cref="nn.Module"/> whose constructor registers its parameters, buffers and children under the
/// checkpoint's own names, keeping typed handles to them. Registration detaches the tensors from any dispose scope:
/// the module owns them and disposes them with itself.
/// </summary>
public abstract class TorchModule(string name) : nn.Module(name)
{
    /// <summary>
    /// Registration is explicit, by checkpoint name. TorchSharp's default would also register every field of module
    /// or tensor type by its C# name (property backing fields included), adding keys no checkpoint has.
    /// </summary>
    protected override void RegisterComponents()
    {
    }

    protected TorchSharp.Modules.Parameter RegisterParameter(string name, Tensor value, bool requiresGrad = true)
    {
        var parameter = new TorchSharp.Modules.Parameter(value.DetachFromDisposeScope(), requiresGrad && value.dtype.IsFloatingPoint());
        parameter.DetachFromDisposeScope();
        register_parameter(name, parameter);
        return parameter;
    }

    protected Tensor RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        value.DetachFromDisposeScope();
        register_buffer(name, value, persistent);
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : nn.Module
    {
        register_module(name, module);
        return module;
    }

    /// <summary>
    /// The registered parameter (looked up on every access: TorchSharp's <c>to(dtype/device)</c> replaces parameter
    /// objects, so a handle kept from the constructor would go stale).
    /// </summary>
    protected TorchSharp.Modules.Parameter Param(string name) => get_parameter(name)
        ?? throw new InvalidOperationException($"{GetName()} has no parameter '{name}'");

    protected TorchSharp.Modules.Parameter? TryParam(string name) => has_parameter(name) ? get_parameter(name) : null;

    /// <summary>The registered buffer (looked up on every access, as <see cref="Param"/>).</summary>
    protected Tensor Buffer(string name) => get_buffer(name) ?? throw new InvalidOperationException($"{GetName()} has no buffer '{name}'");

    protected Tensor? TryBuffer(string name) => has_buffer(name) ? get_buffer(name) : null;

    /// <summary>Replaces this module's own parameter or buffer <paramref name="name"/> by <paramref name="value"/> (owned from now on).</summary>
    public void ReplaceTensor(string name, Tensor value)
    {
        value.DetachFromDisposeScope();
        if (has_parameter(name))
        {
            var old = get_parameter(name)!;
            ConditionallyRegisterParameter(name, new TorchSharp.Modules.Parameter(value, old.requires_grad));
            old.Dispose();
        }
        else if (has_buffer(name))
        {
            var old = get_buffer(name)!;
            bool persistent = state_dict().ContainsKey(name);
            ConditionallyRegisterBuffer(name, value, persistent);
            old.Dispose();
        }
        else
        {
            throw new ArgumentException($"{GetName()} has no parameter or buffer '{name}'", nameof(name));
        }
    }

    /// <summary>Eval mode and no parameter requiring gradients: how loaded weights are served.</summary>
    public void Freeze()
    {
        eval();
        foreach (var p in parameters())
            p.requires_grad = false;
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());
}

/// <summary>Children registered as "0", "1", ... (PyTorch's nn.ModuleList), typed.</summary>
public sealed class ModuleList<T> : TorchModule, IReadOnlyList<T> where T : nn.Module
{
    private readonly List<T> items = [];

    public ModuleList(IEnumerable<T>? items = null) : base(nameof(ModuleList<T>))
    {
        foreach (var item in items ?? [])
            Add(item);
    }

    public void Add(T module)
    {
        RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
    }

    public T this[int index] => items[index];

    public int Count => items.Count;

    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
