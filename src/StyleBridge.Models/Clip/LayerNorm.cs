using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference's <c>LayerNorm</c> subclass: normalises in float32 whatever the input dtype (half precision on the
/// GPU), then casts back. Biased variance, eps 1e-5.
/// </summary>
public sealed class LayerNorm(long width, double eps = 1e-5) : StyleBridge.Torch.NN.LayerNorm(width, eps)
{
    public override Tensor Forward(Tensor x)
    {
        if (x.Dtype == ScalarType.Float32 && Weight.Dtype == ScalarType.Float32)
            return base.Forward(x);

        using var scope = TensorScope.Begin();
        var x32 = x.To(ScalarType.Float32);
        // parameters are float32 under ClipModel.ToDevice; after a plain Module.To(half) they are widened here
        var w = Weight.Dtype == ScalarType.Float32 ? Weight : Weight.To(ScalarType.Float32);
        var b = Bias.Dtype == ScalarType.Float32 ? Bias : Bias.To(ScalarType.Float32);
        var y = Functional.LayerNorm(x32, NormalizedShape, w, b, Eps);
        return (x.Dtype == ScalarType.Float32 ? y : y.To(x.Dtype)).MoveToOuterScope();
    }
}
