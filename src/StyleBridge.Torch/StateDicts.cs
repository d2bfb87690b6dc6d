namespace StyleBridge.Torch;

/// <summary>
/// Loading a checkpoint's tensors into a TorchSharp module by the module's own parameter and buffer names (which are
/// the checkpoint keys). Unlike <c>Module.load_state_dict</c>, every missing key, unexpected key and shape mismatch
/// is collected and reported in one <see cref="StateDictMismatchException"/> before anything is copied.
/// </summary>
public static class StateDicts
{
    /// <param name="ignore">Checkpoint keys that are not the model's (CLIP's <c>input_resolution</c>, ...).</param>
    public static LoadStateDictResult LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> source, bool strict = true, IEnumerable<string>? ignore = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        var ignored = new HashSet<string>(ignore ?? [], StringComparer.Ordinal);
        var own = module.state_dict();
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !own.ContainsKey(k) && !ignored.Contains(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (name, target) in own)
            if (source.TryGetValue(name, out var value) && !value.shape.AsSpan().SequenceEqual(target.shape))
                mismatched.Add($"{name}: checkpoint {TensorBytes.Format(value.shape)}, model {TensorBytes.Format(target.shape)}");

        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new StateDictMismatchException(missing, unexpected, mismatched);

        using (no_grad())
        {
            foreach (var (name, target) in own)
                if (source.TryGetValue(name, out var value))
                    target.copy_(value);
        }
        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>
    /// Parameters and persistent buffers by dotted name in PyTorch's <c>state_dict</c> order: per module its
    /// parameters, then its buffers, then its children (TorchSharp's own <c>state_dict()</c> lists all parameters
    /// first). The tensors are borrowed: the module owns them.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> Of(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var persistent = module.state_dict();
        var result = new List<KeyValuePair<string, Tensor>>(persistent.Count);
        Collect(module, "", persistent, result);
        return result;
    }

    /// <summary><see cref="Of(nn.Module)"/> with every name behind <paramref name="prefix"/> (several modules in one file).</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> Of(nn.Module module, string prefix) =>
        Of(module).Select(e => new KeyValuePair<string, Tensor>(prefix + e.Key, e.Value));

    /// <summary>The entries of <paramref name="weights"/> whose names start with <paramref name="prefix"/>, without it (borrowed).</summary>
    public static Dictionary<string, Tensor> Under(IReadOnlyDictionary<string, Tensor> weights, string prefix) =>
        weights.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value, StringComparer.Ordinal);

    private static void Collect(nn.Module module, string prefix, Dictionary<string, Tensor> persistent, List<KeyValuePair<string, Tensor>> into)
    {
        foreach (var (name, p) in module.named_parameters(recurse: false))
            into.Add(new(prefix + name, p));
        foreach (var (name, b) in module.named_buffers(recurse: false, include_nonpersistent: false))
            if (persistent.ContainsKey(prefix + name))
                into.Add(new(prefix + name, b));
        foreach (var (name, child) in module.named_children())
            Collect(child, prefix + name + ".", persistent, into);
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
