using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>CLIP's activation: x · sigmoid(1.702 · x) (not the erf GELU).</summary>
public sealed class QuickGelu : Module
{
    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Begin();
        var gate = x.Mul(1.702).Sigmoid_(); // in place on our own temporary: sigmoid's backward needs only its output
        return x.Mul(gate).MoveToOuterScope();
    }
}
