namespace StyleBridge.Torch.Serialization;

/// <summary>
/// The module tree of a TorchScript <c>data.pkl</c>: each module is an object of a class
/// <c>__torch__.…</c> whose BUILD state holds its attributes: parameters and buffers as tensors,
/// submodules as nested objects, plus flags such as <c>training</c>.
/// </summary>
internal static class TorchScriptModules
{
    public const string ClassPrefix = "__torch__.";

    public static bool IsModule(object? value) =>
        value is PickleObject o && o.ClassName.StartsWith(ClassPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Dotted names for every tensor attribute, in <c>state_dict</c> order: a module's own tensors
    /// in attribute order, then each submodule's, depth first. A module reachable under two names
    /// is listed under both, as <c>state_dict</c> does.
    /// </summary>
    public static List<KeyValuePair<string, PickledTensor>> NamedTensors(PickleObject root, string source)
    {
        var result = new List<KeyValuePair<string, PickledTensor>>();
        var path = new HashSet<PickleObject>(ReferenceEqualityComparer.Instance);
        int budget = MaxModuleVisits;
        Walk(root, "", path, result, ref budget, source);
        return result;
    }

    /// <summary>Bounds the walk: shared submodules are listed under every name, which a hostile file could make exponential.</summary>
    private const int MaxModuleVisits = 1_000_000;

    private static void Walk(PickleObject module, string prefix, HashSet<PickleObject> path, List<KeyValuePair<string, PickledTensor>> result, ref int budget, string source)
    {
        if (--budget < 0 || path.Count > 1000)
            throw new WeightFormatException(source, $"TorchScript module tree is too large or too deep (at '{prefix}')");
        if (module.Attributes is not { } attributes)
            return;
        foreach (var (name, value) in attributes)
        {
            if (value is PickledTensor t)
                result.Add(new(prefix + name, t));
        }
        foreach (var (name, value) in attributes)
        {
            if (IsModule(value) && path.Add((PickleObject)value!))
            {
                Walk((PickleObject)value!, prefix + name + ".", path, result, ref budget, source);
                path.Remove((PickleObject)value!);
            }
        }
    }

    /// <summary>The submodule at a dotted attribute path (e.g. <c>visual.transformer</c>).</summary>
    public static PickleObject Submodule(PickleObject root, string dottedPath, string source)
    {
        var module = root;
        foreach (var part in dottedPath.Split('.'))
        {
            if (module.Attributes is not { } attributes || !attributes.TryGetValue(part, out var child) || !IsModule(child))
            {
                var names = module.Attributes?.Where(kv => IsModule(kv.Value)).Select(kv => kv.Key) ?? [];
                throw new WeightFormatException(source, $"TorchScript module has no submodule '{dottedPath}' ('{part}' missing; submodules here: {PickleFormat.KeyList(names)})");
            }
            module = (PickleObject)child!;
        }
        return module;
    }
}
