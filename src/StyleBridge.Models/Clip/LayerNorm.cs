using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference's <c>LayerNorm</c> subclass: normalises in float32 whatever the input dtype (half precision on the
/// GPU), then casts back. Biased variance, eps 1e-5.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly long[] normalizedShape;

    public LayerNorm(long width, double eps = 1e-5)
    {
        normalizedShape = [width];
        Eps = eps;
        Weight = RegisterParameter("weight", LibTorch.Ones([width]));
        Bias = RegisterParameter("bias", LibTorch.Zeros([width]));
    }

    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public Tensor Forward(Tensor x)
    {
        if (x.Dtype == ScalarType.Float32 && Weight.Dtype == ScalarType.Float32)
            return Functional.LayerNorm(x, normalizedShape, Weight, Bias, Eps);

        using var scope = TensorScope.Begin();
        var x32 = x.To(ScalarType.Float32);
        // parameters are float32 under ClipModel.ToDevice; after a plain Module.To(half) they are widened here
        var w = Weight.Dtype == ScalarType.Float32 ? Weight : Weight.To(ScalarType.Float32);
        var b = Bias.Dtype == ScalarType.Float32 ? Bias : Bias.To(ScalarType.Float32);
        var y = Functional.LayerNorm(x32, normalizedShape, w, b, Eps);
        return (x.Dtype == ScalarType.Float32 ? y : y.To(x.Dtype)).MoveToOuterScope();
    }
}
