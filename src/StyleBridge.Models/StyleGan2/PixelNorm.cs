using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary><c>x · rsqrt(mean(x², dim=1) + 1e-8)</c> (NVIDIA: normalize_2nd_moment).</summary>
public sealed class PixelNorm : TorchModule
{
    public PixelNorm() : base(nameof(PixelNorm))
    {
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var norm = x.square().mean([1], keepdim: true).AddScalar(1e-8).rsqrt();
        return x.mul(norm).MoveToOuterDisposeScope();
    }
}
