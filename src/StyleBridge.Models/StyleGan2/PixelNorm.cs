using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary><c>x · rsqrt(mean(x², dim=1) + 1e-8)</c> (NVIDIA: normalize_2nd_moment).</summary>
public sealed class PixelNorm : Module
{
    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Begin();
        var norm = x.Square().Mean(1, keepdim: true).Add(1e-8).Rsqrt();
        return x.Mul(norm).MoveToOuterScope();
    }
}
