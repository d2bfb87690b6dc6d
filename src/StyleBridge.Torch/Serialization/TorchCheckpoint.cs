namespace StyleBridge.Torch.Serialization;

/// <summary>
/// Files written by <c>torch.save</c> (zip format, PyTorch ≥ 1.6) and <c>torch.jit.save</c>, read
/// without Python and without running any pickled code.
/// <para>
/// The object graph uses: <see cref="PickleDict"/> for dicts (insertion order), <c>List&lt;object?&gt;</c>
/// for lists, <c>object?[]</c> for tuples, <c>string</c>, <c>long</c> (or <c>BigInteger</c>),
/// <c>double</c>, <c>bool</c>, <c>byte[]</c>, null, <see cref="ScalarType"/> for <c>torch.&lt;dtype&gt;</c>,
/// <see cref="PickleObject"/> for instances of any other class (inert) and <see cref="Tensor"/>
/// (after <see cref="Load"/>) or <see cref="PickledTensor"/> (after <see cref="Inspect"/>) for tensors.
/// </para>
/// </summary>
public sealed class TorchCheckpoint : IDisposable
{
    private readonly List<Tensor> _tensors;

    private TorchCheckpoint(string path, object? root, List<Tensor> tensors, bool isTorchScript)
    {
        Path = path;
        Root = root;
        _tensors = tensors;
        IsTorchScript = isTorchScript;
    }

    public string Path { get; }

    /// <summary>The unpickled root object, with tensors materialised. The tensors belong to this checkpoint.</summary>
    public object? Root { get; }

    /// <summary>Every tensor in <see cref="Root"/>, each once; disposed with the checkpoint.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    public bool IsTorchScript { get; }

    /// <summary>
    /// Reads the whole object graph and materialises every tensor (views of the memory-mapped file,
    /// so this costs address space, not copies). Dispose the result to release the tensors.
    /// </summary>
    public static TorchCheckpoint Load(string path)
    {
        using var archive = TorchArchive.Open(path);
        var root = archive.ReadPickle();
        var tensors = new List<Tensor>();
        using var loader = new StorageLoader(archive);
        try
        {
            var created = new Dictionary<PickledTensor, Tensor>(ReferenceEqualityComparer.Instance);
            root = GraphRewriter.Replace(root, value =>
            {
                if (value is not PickledTensor t)
                    return value;
                if (!created.TryGetValue(t, out var tensor))
                {
                    tensor = Owned(loader.Materialize(t, t.ToString()));
                    created.Add(t, tensor);
                    tensors.Add(tensor);
                }
                return tensor;
            });
            return new TorchCheckpoint(path, root, tensors, archive.IsTorchScript);
        }
        catch
        {
            foreach (var t in tensors)
                t.Dispose();
            throw;
        }
    }

    /// <summary>The object graph with <see cref="PickledTensor"/> descriptions in place of tensors; reads no tensor data.</summary>
    public static object? Inspect(string path)
    {
        using var archive = TorchArchive.Open(path);
        return archive.ReadPickle();
    }

    /// <summary>
    /// Loads a flat state dict: the root dict, or the dict under <paramref name="key"/> (e.g.
    /// <c>"g_ema"</c> in rosinality checkpoints, <c>"state_dict"</c> in Lightning ones). Every value
    /// must be a tensor. A whole pickled <c>nn.Module</c> (<c>torch.save(model)</c>, at the root or under
    /// <paramref name="key"/>) gives its <c>state_dict()</c> without instantiating its class. For a
    /// TorchScript archive the tensors of the module tree are returned under their dotted attribute
    /// paths; <paramref name="key"/> then selects a submodule (e.g. <c>"visual"</c>).
    /// Only the selected tensors are materialised. The caller owns the result.
    /// </summary>
    public static StateDict LoadStateDict(string path, string? key = null)
    {
        using var archive = TorchArchive.Open(path);
        var entries = SelectStateDict(path, archive.ReadPickle(), key);
        using var loader = new StorageLoader(archive);
        var stateDict = new StateDict();
        try
        {
            foreach (var (name, t) in entries)
            {
                // the same pickled tensor under two names (tied weights) still gives two owned handles
                var tensor = Owned(loader.Materialize(t, name));
                stateDict.Add(name, tensor);
            }
            return stateDict;
        }
        catch
        {
            stateDict.Dispose();
            throw;
        }
    }

    /// <summary>Names and tensor descriptions that <see cref="LoadStateDict"/> would return; reads no tensor data.</summary>
    public static IReadOnlyList<KeyValuePair<string, PickledTensor>> InspectStateDict(string path, string? key = null)
    {
        using var archive = TorchArchive.Open(path);
        return SelectStateDict(path, archive.ReadPickle(), key);
    }

    internal static List<KeyValuePair<string, PickledTensor>> SelectStateDict(string path, object? root, string? key)
    {
        if (TorchScriptModules.IsModule(root))
        {
            var module = (PickleObject)root!;
            if (key is not null)
                module = TorchScriptModules.Submodule(module, key, path);
            return TorchScriptModules.NamedTensors(module, path);
        }

        object? selected = root;
        string where = "the checkpoint's top level";
        if (key is not null)
        {
            if (root is not PickleDict top)
                throw new WeightFormatException(path, $"the checkpoint holds a {PickleFormat.Describe(root)}, not a dict; key '{key}' does not apply");
            if (!top.TryGetValue(key, out selected))
                throw new WeightFormatException(path, $"key '{key}' not found; top-level keys: {PickleFormat.KeyList(top.Keys)}");
            where = $"key '{key}'";
        }

        if (PickledModules.IsModule(selected))
            return PickledModules.NamedTensors((PickleObject)selected!, path);
        if (selected is not PickleDict dict)
        {
            string hint = root is PickleDict rootDict && key is not null ? $"; top-level keys: {PickleFormat.KeyList(rootDict.Keys)}" : "";
            throw new WeightFormatException(path, $"{where} holds a {PickleFormat.Describe(selected)}, not a state dict{hint}");
        }

        var result = new List<KeyValuePair<string, PickledTensor>>(dict.Count);
        foreach (var (name, value) in dict)
        {
            if (value is PickledTensor t)
            {
                result.Add(new(name, t));
                continue;
            }
            string problem = $"{where} is not a state dict: entry '{name}' is a {PickleFormat.Describe(value)}, not a tensor";
            if (key is null)
            {
                var candidates = dict.Where(kv => kv.Value is PickleDict || PickledModules.IsModule(kv.Value)).Select(kv => kv.Key).ToList();
                if (candidates.Count > 0)
                    problem += $"; pass the key of the state dict, one of {PickleFormat.KeyList(candidates)}";
            }
            throw new WeightFormatException(path, problem);
        }
        return result;
    }

    /// <summary>
    /// Loaded weights belong to the caller (a state dict or checkpoint that disposes them), never to a dispose scope
    /// the caller happens to have open.
    /// </summary>
    internal static Tensor Owned(Tensor t) => t.DetachFromDisposeScope();

    public void Dispose()
    {
        foreach (var t in _tensors)
            t.Dispose();
        _tensors.Clear();
    }
}
