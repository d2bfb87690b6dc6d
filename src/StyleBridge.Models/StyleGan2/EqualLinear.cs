using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// Linear layer with equalised learning rate: the stored weight is randn/lr_mul and is used as
/// <c>W · lr_mul/√in</c>, the bias as <c>b · lr_mul</c>; with <c>activation</c> the fused leaky ReLU follows.
/// </summary>
public sealed class EqualLinear : TorchModule
{
    public EqualLinear(int inDim, int outDim, double biasInit = 0, double lrMul = 1, bool activation = false) : base(nameof(EqualLinear))
    {
        InDim = inDim;
        OutDim = outDim;
        LrMul = lrMul;
        Activation = activation;
        Scale = lrMul / Math.Sqrt(inDim);
        using (no_grad())
        {
            RegisterParameter("weight", randn(new long[] { outDim, inDim }).div_(lrMul));
            RegisterParameter("bias", full(new long[] { outDim }, biasInit));
        }
    }

    public int InDim { get; }
    public int OutDim { get; }
    public double LrMul { get; }
    public bool Activation { get; }
    public double Scale { get; }
    public Parameter Weight => Param("weight");
    public Parameter Bias => Param("bias");

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var weight = Weight.MulScalar(Scale);
        var bias = Bias.MulScalar(LrMul);
        var output = Activation
            ? FusedLeakyRelu.Apply(Functional.Linear(x, weight), bias)
            : Functional.Linear(x, weight, bias);
        return output.MoveToOuterDisposeScope();
    }
}
