using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Named intermediate tensors of a forward pass, for parity checks and debugging. The names are those of the golden
/// file <c>tiny_io.safetensors</c> (<c>visual_patch_embeds</c>, <c>text_block0_out</c>, …). It holds its own handles
/// (sharing storage with the forward's tensors) and disposes them with itself.
/// </summary>
public sealed class ClipActivations : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Tensor> Tensors => tensors;

    public Tensor this[string name] => tensors[name];

    public void Record(string name, Tensor value)
    {
        var alias = value.alias().DetachFromDisposeScope();
        if (tensors.Remove(name, out var previous))
            previous.Dispose();
        tensors[name] = alias;
    }

    public void Dispose()
    {
        foreach (var t in tensors.Values)
            t.Dispose();
        tensors.Clear();
    }
}
