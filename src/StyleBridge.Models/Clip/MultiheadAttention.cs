using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Self-attention with PyTorch's <c>nn.MultiheadAttention</c> parameters: the packed projection
/// <c>in_proj_weight</c> [3·width, width] (rows: Wq, Wk, Wv) with <c>in_proj_bias</c>, and <c>out_proj</c>.
/// Runs batch-first ([N, L, width]) as explicit batched matmuls, with q divided by √head_dim before the scores
/// as the reference does; an additive mask [L, L] enters through baddbmm.
/// </summary>
public sealed class MultiheadAttention : Module
{
    public MultiheadAttention(long width, int heads)
    {
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"{heads} heads do not divide width {width}", nameof(heads));
        Width = width;
        Heads = heads;
        InProjWeight = RegisterParameter("in_proj_weight", LibTorch.Empty([3 * width, width]));
        InProjBias = RegisterParameter("in_proj_bias", LibTorch.Zeros([3 * width]));
        OutProj = RegisterModule("out_proj", new Linear(width, width));
        using (LibTorch.NoGrad())
        {
            // PyTorch's reset: xavier_uniform on the packed weight, zero biases
            double bound = Math.Sqrt(6.0 / (width + 3 * width));
            InProjWeight.Uniform_(-bound, bound);
            OutProj.Bias!.Zero_();
        }
    }

    public long Width { get; }
    public int Heads { get; }
    public long HeadDim => Width / Heads;
    public Tensor InProjWeight { get; }
    public Tensor InProjBias { get; }
    public Linear OutProj { get; }

    public Tensor Forward(Tensor x, Tensor? attnMask = null)
    {
        using var scope = TensorScope.Begin();
        long n = x.Size(0), length = x.Size(1);
        long batchHeads = n * Heads;

        var qkv = Functional.Linear(x, InProjWeight, InProjBias); // [N, L, 3·width]
        // one copy into [3, N·H, L, hd] instead of three
        var split = qkv.View(n, length, 3, Heads, HeadDim).Permute(2, 0, 3, 1, 4).Reshape(3, batchHeads, length, HeadDim);
        var q = split.Select(0, 0).Div(Math.Sqrt(HeadDim));
        var kT = split.Select(0, 1).Transpose(1, 2);
        var v = split.Select(0, 2);

        var scores = attnMask is null ? q.Bmm(kT) : Functional.Baddbmm(attnMask, q, kT);
        var weights = Functional.Softmax(scores, -1);
        var heads = weights.Bmm(v); // [N·H, L, hd]
        var merged = heads.View(n, Heads, length, HeadDim).Transpose(1, 2).Reshape(n, length, Width);
        return OutProj.Forward(merged).MoveToOuterScope();
    }
}
