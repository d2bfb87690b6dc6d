using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// Linear layer with equalised learning rate: the stored weight is randn/lr_mul and is used as
/// <c>W · lr_mul/√in</c>, the bias as <c>b · lr_mul</c>; with <c>activation</c> the fused leaky ReLU follows.
/// </summary>
public sealed class EqualLinear : Module
{
    public EqualLinear(int inDim, int outDim, double biasInit = 0, double lrMul = 1, bool activation = false)
    {
        InDim = inDim;
        OutDim = outDim;
        LrMul = lrMul;
        Activation = activation;
        Scale = lrMul / Math.Sqrt(inDim);
        using (LibTorch.NoGrad())
        {
            Weight = RegisterParameter("weight", LibTorch.Randn([outDim, inDim]).Div_(lrMul));
            Bias = RegisterParameter("bias", LibTorch.Full([outDim], biasInit));
        }
    }

    public int InDim { get; }
    public int OutDim { get; }
    public double LrMul { get; }
    public bool Activation { get; }
    public double Scale { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Begin();
        var weight = Weight.Mul(Scale);
        var bias = Bias.Mul(LrMul);
        var output = Activation
            ? FusedLeakyRelu.Apply(Functional.Linear(x, weight), bias)
            : Functional.Linear(x, weight, bias);
        return output.MoveToOuterScope();
    }
}
