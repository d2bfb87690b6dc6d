using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>CLIP's activation: x · sigmoid(1.702 · x) (not the erf GELU).</summary>
public sealed class QuickGelu : TorchModule
{
    public QuickGelu() : base(nameof(QuickGelu))
    {
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gate = x.MulScalar(1.702).sigmoid_(); // in place on our own temporary: sigmoid's backward needs only its output
        return x.mul(gate).MoveToOuterDisposeScope();
    }
}
