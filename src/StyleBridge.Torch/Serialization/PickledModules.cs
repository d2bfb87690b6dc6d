namespace StyleBridge.Torch.Serialization;

/// <summary>
/// A whole <c>nn.Module</c> saved with <c>torch.save(model)</c>: an inert object whose state holds
/// <c>_parameters</c>, <c>_buffers</c> (minus <c>_non_persistent_buffers_set</c>) and <c>_modules</c>,
/// read here as <c>state_dict()</c> would list them. The module's class is never instantiated.
/// </summary>
internal static class PickledModules
{
    private const int MaxModuleVisits = 1_000_000;

    public static bool IsModule(object? value) =>
        value is PickleObject { Attributes: { } a } && a.TryGetValue("_parameters", out var p) && p is PickleDict
        && a.TryGetValue("_modules", out var m) && m is PickleDict;

    public static List<KeyValuePair<string, PickledTensor>> NamedTensors(PickleObject root, string source)
    {
        var result = new List<KeyValuePair<string, PickledTensor>>();
        var path = new HashSet<PickleObject>(ReferenceEqualityComparer.Instance);
        int budget = MaxModuleVisits;
        Walk(root, "", path, result, ref budget, source);
        return result;
    }

    private static void Walk(PickleObject module, string prefix, HashSet<PickleObject> path, List<KeyValuePair<string, PickledTensor>> result, ref int budget, string source)
    {
        if (--budget < 0 || path.Count > 1000)
            throw new WeightFormatException(source, $"pickled module tree is too large or too deep (at '{prefix}')");
        var state = module.Attributes!;
        var nonPersistent = NonPersistentBuffers(state);
        Add((PickleDict)state["_parameters"]!, _ => true);
        if (state.TryGetValue("_buffers", out var buffers) && buffers is PickleDict b)
            Add(b, name => !nonPersistent.Contains(name));
        foreach (var (name, child) in (PickleDict)state["_modules"]!)
        {
            if (IsModule(child) && path.Add((PickleObject)child!))
            {
                Walk((PickleObject)child!, prefix + name + ".", path, result, ref budget, source);
                path.Remove((PickleObject)child!);
            }
        }

        void Add(PickleDict tensors, Func<string, bool> include)
        {
            foreach (var (name, value) in tensors)
            {
                if (value is null || !include(name))
                    continue;
                if (value is not PickledTensor t)
                    throw new WeightFormatException(source, $"'{prefix}{name}' is a {PickleFormat.Describe(value)}, not a tensor");
                result.Add(new(prefix + name, t));
            }
        }
    }

    /// <summary><c>_non_persistent_buffers_set</c>, pickled as <c>builtins.set([...])</c> or an EMPTY_SET.</summary>
    private static HashSet<string> NonPersistentBuffers(PickleDict state)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (state.TryGetValue("_non_persistent_buffers_set", out var set) && set is PickleObject o)
        {
            var items = o.ListItems.Concat(o.Args.Count > 0 && o.Args[0] is List<object?> list ? list : []);
            foreach (var item in items)
            {
                if (item is string s)
                    names.Add(s);
            }
        }
        return names;
    }
}
