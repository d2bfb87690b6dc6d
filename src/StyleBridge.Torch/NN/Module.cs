namespace StyleBridge.Torch.NN;

/// <summary>
/// A PyTorch-style module: named parameters, buffers and submodules registered in constructors under the
/// checkpoint's own names, so <see cref="StateDict"/> keys match the reference files without a mapping table.
/// A module owns its parameters and buffers and disposes them with itself.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly OrderedDictionary<string, Tensor> parameters = new();
    private readonly OrderedDictionary<string, Tensor> buffers = new();
    private readonly HashSet<string> nonPersistent = [];
    private readonly OrderedDictionary<string, Module> modules = new();
    private bool disposed;

    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor value, bool requiresGrad = true)
    {
        CheckName(name);
        value.DetachFromScope();
        if (requiresGrad && value.Dtype.IsFloatingPoint())
            value.RequiresGrad_();
        parameters.Add(name, value);
        return value;
    }

    protected Tensor RegisterBuffer(string name, Tensor value, bool persistent = true)
    {
        CheckName(name);
        value.DetachFromScope();
        buffers.Add(name, value);
        if (!persistent)
            nonPersistent.Add(name);
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        modules.Add(name, module);
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name", nameof(name));
        if (parameters.ContainsKey(name) || buffers.ContainsKey(name) || modules.ContainsKey(name))
            throw new ArgumentException($"'{name}' is already registered", nameof(name));
    }

    public IEnumerable<(string Name, Module Module)> NamedChildren() => modules.Select(kv => (kv.Key, kv.Value));

    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in modules)
            foreach (var item in child.NamedModules(Join(prefix, name)))
                yield return item;
    }

    /// <summary>Parameters by dotted name, in registration order (borrowed: the module owns them).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in parameters)
            yield return (Join(prefix, name), p);
        foreach (var (name, child) in modules)
            foreach (var item in child.NamedParameters(Join(prefix, name)))
                yield return item;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers(string prefix = "", bool persistentOnly = false)
    {
        foreach (var (name, b) in buffers)
            if (!persistentOnly || !nonPersistent.Contains(name))
                yield return (Join(prefix, name), b);
        foreach (var (name, child) in modules)
            foreach (var item in child.NamedBuffers(Join(prefix, name), persistentOnly))
                yield return item;
    }

    /// <summary>
    /// Parameters and persistent buffers by dotted name in PyTorch's state_dict order (per module: its parameters,
    /// then its buffers, then its children). The tensors are borrowed.
    /// </summary>
    public List<KeyValuePair<string, Tensor>> StateDict(string prefix = "")
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        CollectStateDict(prefix, result);
        return result;
    }

    private void CollectStateDict(string prefix, List<KeyValuePair<string, Tensor>> into)
    {
        foreach (var (name, p) in parameters)
            into.Add(new(Join(prefix, name), p));
        foreach (var (name, b) in buffers)
            if (!nonPersistent.Contains(name))
                into.Add(new(Join(prefix, name), b));
        foreach (var (name, child) in modules)
            child.CollectStateDict(Join(prefix, name), into);
    }

    /// <summary>
    /// Copies values into the registered tensors (converting dtype and device). In strict mode every missing key,
    /// unexpected key and shape mismatch is reported together in one <see cref="StateDictMismatchException"/>.
    /// Keys in <paramref name="ignore"/> are skipped (e.g. CLIP's <c>input_resolution</c>).
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> source, bool strict = true, IEnumerable<string>? ignore = null)
    {
        var ignored = new HashSet<string>(ignore ?? []);
        var own = StateDict();
        var ownKeys = new HashSet<string>(own.Select(kv => kv.Key));
        var missing = own.Where(kv => !source.ContainsKey(kv.Key)).Select(kv => kv.Key).ToList();
        var unexpected = source.Keys.Where(k => !ownKeys.Contains(k) && !ignored.Contains(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (name, target) in own)
        {
            if (source.TryGetValue(name, out var value) && !value.Shape.AsSpan().SequenceEqual(target.Shape))
                mismatched.Add($"{name}: checkpoint [{string.Join(", ", value.Shape)}], model [{string.Join(", ", target.Shape)}]");
        }

        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new StateDictMismatchException(missing, unexpected, mismatched);

        using (LibTorch.NoGrad())
        {
            foreach (var (name, target) in own)
                if (source.TryGetValue(name, out var value))
                    target.Copy_(value);
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var child in modules.Values)
            child.Train(mode);
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Sets requires_grad on every parameter (PyTorch's <c>requires_grad_</c>).</summary>
    public Module RequiresGrad_(bool requiresGrad = true)
    {
        foreach (var p in Parameters())
            if (p.Dtype.IsFloatingPoint())
                p.RequiresGrad_(requiresGrad);
        return this;
    }

    /// <summary>Moves parameters and buffers in place (handles stay valid); dtype changes apply to floating-point tensors only.</summary>
    public Module To(Device? device = null, ScalarType? dtype = null)
    {
        using var scope = TensorScope.Begin();
        using (LibTorch.NoGrad())
        {
            foreach (var (_, t) in NamedParameters().Concat(NamedBuffers()))
            {
                var targetType = dtype is { } d && t.Dtype.IsFloatingPoint() ? d : t.Dtype;
                var targetDevice = device ?? t.Device;
                if (targetType == t.Dtype && targetDevice == t.Device)
                    continue;
                t.SetData(t.To(targetDevice, targetType));
            }
        }

        return this;
    }

    public Module To(ScalarType dtype) => To(null, dtype);

    public long ParameterCount() => Parameters().Sum(p => p.Numel);

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    protected virtual void Dispose(bool disposing)
    {
        if (disposed || !disposing)
            return;
        disposed = true;
        foreach (var p in parameters.Values)
            p.Dispose();
        foreach (var b in buffers.Values)
            b.Dispose();
        foreach (var m in modules.Values)
            m.Dispose();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}

public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

public sealed class StateDictMismatchException(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    : Exception(Describe(missing, unexpected, mismatched))
{
    public IReadOnlyList<string> MissingKeys { get; } = missing;
    public IReadOnlyList<string> UnexpectedKeys { get; } = unexpected;
    public IReadOnlyList<string> ShapeMismatches { get; } = mismatched;

    private static string Describe(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
            parts.Add($"missing keys ({missing.Count}): {string.Join(", ", missing)}");
        if (unexpected.Count > 0)
            parts.Add($"unexpected keys ({unexpected.Count}): {string.Join(", ", unexpected)}");
        if (mismatched.Count > 0)
            parts.Add($"shape mismatches ({mismatched.Count}): {string.Join("; ", mismatched)}");
        return "state dict does not fit the model: " + string.Join(" | ", parts);
    }
}

/// <summary>Children registered as "0", "1", ... (PyTorch's nn.ModuleList).</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> items = [];

    public ModuleList(IEnumerable<T>? items = null)
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
