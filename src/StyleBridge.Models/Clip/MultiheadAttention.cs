using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Self-attention with PyTorch's <c>nn.MultiheadAttention</c> parameters: the packed projection
/// <c>in_proj_weight</c> [3·width, width] (rows: Wq, Wk, Wv) with <c>in_proj_bias</c>, and <c>out_proj</c>.
/// Runs batch-first ([N, L, width]) as explicit batched matmuls, with q divided by √head_dim before the scores
/// as the reference does; an additive mask [L, L] enters through baddbmm.
/// </summary>
public sealed class MultiheadAttention : TorchModule
{
    public MultiheadAttention(long width, int heads) : base(nameof(MultiheadAttention))
    {
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"{heads} heads do not divide width {width}", nameof(heads));
        Width = width;
        Heads = heads;
        RegisterParameter("in_proj_weight", empty(new long[] { 3 * width, width }));
        RegisterParameter("in_proj_bias", zeros(new long[] { 3 * width }));
        OutProj = RegisterModule("out_proj", nn.Linear(width, width));
        using (no_grad())
        {
            // PyTorch's reset: xavier_uniform on the packed weight, zero biases
            double bound = Math.Sqrt(6.0 / (width + 3 * width));
            InProjWeight.uniform_(-bound, bound);
            OutProj.bias!.zero_();
        }
    }

    public long Width { get; }
    public int Heads { get; }
    public long HeadDim => Width / Heads;
    public Parameter InProjWeight => Param("in_proj_weight");
    public Parameter InProjBias => Param("in_proj_bias");
    public Linear OutProj { get; }

    public Tensor Forward(Tensor x, Tensor? attnMask = null)
    {
        using var scope = NewDisposeScope();
        long n = x.size(0), length = x.size(1);
        long batchHeads = n * Heads;

        var qkv = Functional.Linear(x, InProjWeight, InProjBias); // [N, L, 3·width]
        // one copy into [3, N·H, L, hd] instead of three
        var split = qkv.view(n, length, 3, Heads, HeadDim).permute(2, 0, 3, 1, 4).reshape(3, batchHeads, length, HeadDim);
        var q = split.select(0, 0).DivScalar(Math.Sqrt(HeadDim));
        var kT = split.select(0, 1).transpose(1, 2);
        var v = split.select(0, 2);

        var scores = attnMask is null ? q.bmm(kT) : Functional.Baddbmm(attnMask, q, kT);
        var weights = Functional.Softmax(scores, -1);
        var heads = weights.bmm(v); // [N·H, L, hd]
        var merged = heads.view(n, Heads, length, HeadDim).transpose(1, 2).reshape(n, length, Width);
        return OutProj.forward(merged).MoveToOuterDisposeScope();
    }
}
