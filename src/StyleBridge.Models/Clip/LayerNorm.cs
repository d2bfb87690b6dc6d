using StyleBridge.Torch;
namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference's <c>LayerNorm</c> subclass: normalises in float32 whatever the input dtype (half precision on the
/// GPU), then casts back. Biased variance, eps 1e-5. Parameters <c>weight</c> and <c>bias</c> [width].
/// </summary>
public sealed class LayerNorm : TorchModule
{
    private readonly long[] normalizedShape;

    public LayerNorm(long width, double eps = 1e-5) : base(nameof(LayerNorm))
    {
        normalizedShape = [width];
        Eps = eps;
        Weight = new Parameter(ones(width));
        Bias = new Parameter(zeros(width));
        register_parameter("weight", Weight);
        register_parameter("bias", Bias);
    }

    public double Eps { get; }
    public Parameter Weight { get; }
    public Parameter Bias { get; }

    public Tensor Forward(Tensor x)
    {
        if (x.dtype == ScalarType.Float32 && Weight.dtype == ScalarType.Float32)
            return F.layer_norm(x, normalizedShape, Weight, Bias, Eps);

        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        // parameters are float32 under ClipModel.ToDevice; after a plain module.to(half) they are widened here
        var w = Weight.dtype == ScalarType.Float32 ? (Tensor)Weight : Weight.to(ScalarType.Float32);
        var b = Bias.dtype == ScalarType.Float32 ? (Tensor)Bias : Bias.to(ScalarType.Float32);
        var y = F.layer_norm(x32, normalizedShape, w, b, Eps);
        return (x.dtype == ScalarType.Float32 ? y : y.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
