using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary><c>image + weight · noise</c>: one learned strength, noise [N or 1, 1, H, W] broadcast over channels.</summary>
public sealed class NoiseInjection : Module
{
    public NoiseInjection() => Weight = RegisterParameter("weight", LibTorch.Zeros([1]));

    public Tensor Weight { get; }

    /// <summary>
    /// <c>image + gain · weight · noise</c>. With gradients off the sum is formed in place and <paramref name="image"/>
    /// itself is returned; otherwise a new tensor.
    /// </summary>
    public Tensor Forward(Tensor image, Tensor noise, double gain = 1)
    {
        using var strength = Weight.To(image.Dtype).Mul(gain);
        using var n = noise.Dtype == image.Dtype ? noise.Alias() : noise.To(image.Dtype);
        if (!LibTorch.IsGradEnabled)
            return image.Addcmul_(n, strength);
        using var scaled = n.Mul(strength);
        return image.Add(scaled);
    }
}
