namespace StyleBridge.Models.Prior;

/// <summary>DALLE2-pytorch's <c>LayerNorm</c>: a trained gain <c>gamma</c> and a bias <c>beta</c> that is a buffer (zeros, never trained, but stored). eps 1e-5.</summary>
public sealed class PriorLayerNorm : TorchModule
{
    private readonly long[] shape;

    public PriorLayerNorm(long dim) : base(nameof(PriorLayerNorm))
    {
        shape = [dim];
        RegisterParameter("gamma", ones(dim));
        RegisterBuffer("beta", zeros(dim));
    }

    public Tensor Forward(Tensor x) => F.layer_norm(x, shape, Param("gamma"), Buffer("beta"), 1e-5);
}
