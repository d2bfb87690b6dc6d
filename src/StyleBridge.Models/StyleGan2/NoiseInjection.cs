using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary><c>image + weight · noise</c>: one learned strength, noise [N or 1, 1, H, W] broadcast over channels.</summary>
public sealed class NoiseInjection : TorchModule
{
    public NoiseInjection() : base(nameof(NoiseInjection)) => RegisterParameter("weight", zeros(new long[] { 1 }));

    public Parameter Weight => Param("weight");

    /// <summary>
    /// <c>image + gain · weight · noise</c>. With gradients off the sum is formed in place and <paramref name="image"/>
    /// itself is returned; otherwise a new tensor.
    /// </summary>
    public Tensor Forward(Tensor image, Tensor noise, double gain = 1)
    {
        using var strength = Weight.to(image.dtype).MulScalar(gain);
        using var n = noise.dtype == image.dtype ? noise.alias() : noise.to(image.dtype);
        if (!is_grad_enabled())
        {
            using var one = 1.ToScalar();
            return image.addcmul_(n, strength, one);
        }

        using var scaled = n.mul(strength);
        return image.add(scaled);
    }
}
