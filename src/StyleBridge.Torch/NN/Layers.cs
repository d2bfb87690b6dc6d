namespace StyleBridge.Torch.NN;

// The few standard layers the models share. Parameters are created uninitialised-but-defined (zeros / ones, as
// the reference's reset would be overwritten by a checkpoint anyway); Init methods give PyTorch's defaults.

/// <summary>y = x Wᵀ + b, weight [out, in].</summary>
public sealed class Linear : Module
{
    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        Weight = RegisterParameter("weight", LibTorch.Empty([outFeatures, inFeatures]));
        Bias = bias ? RegisterParameter("bias", LibTorch.Empty([outFeatures])) : null;
        using (LibTorch.NoGrad())
        {
            // PyTorch's default: kaiming_uniform(a=√5) = U(±1/√in) for the weight, U(±1/√in) for the bias.
            double bound = 1 / Math.Sqrt(inFeatures);
            Weight.Uniform_(-bound, bound);
            Bias?.Uniform_(-bound, bound);
        }
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias);
}

/// <summary>LayerNorm over the last dim, biased variance.</summary>
public class LayerNorm : Module
{
    public LayerNorm(long dim, double eps = 1e-5)
    {
        NormalizedShape = [dim];
        Eps = eps;
        Weight = RegisterParameter("weight", LibTorch.Ones([dim]));
        Bias = RegisterParameter("bias", LibTorch.Zeros([dim]));
    }

    protected long[] NormalizedShape { get; }
    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public virtual Tensor Forward(Tensor x) => Functional.LayerNorm(x, NormalizedShape, Weight, Bias, Eps);
}

public sealed class Embedding : Module
{
    public Embedding(long count, long dim)
    {
        Weight = RegisterParameter("weight", LibTorch.Empty([count, dim]));
        using (LibTorch.NoGrad())
            Weight.Normal_();
    }

    public Tensor Weight { get; }

    public Tensor Forward(Tensor indices) => Functional.Embedding(indices, Weight);
}

public sealed class Conv2d : Module
{
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
    {
        Stride = stride;
        Padding = padding;
        Weight = RegisterParameter("weight", LibTorch.Empty([outChannels, inChannels, kernelSize, kernelSize]));
        Bias = bias ? RegisterParameter("bias", LibTorch.Empty([outChannels])) : null;
        using (LibTorch.NoGrad())
        {
            double bound = 1 / Math.Sqrt(inChannels * kernelSize * kernelSize);
            Weight.Uniform_(-bound, bound);
            Bias?.Uniform_(-bound, bound);
        }
    }

    public long Stride { get; }
    public long Padding { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x) => Functional.Conv2d(x, Weight, Bias, Stride, Padding);
}
