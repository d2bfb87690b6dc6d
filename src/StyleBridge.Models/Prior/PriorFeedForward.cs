namespace StyleBridge.Models.Prior;

/// <summary>
/// The prior's feed-forward block, keys as in its <c>nn.Sequential</c>: LayerNorm <c>0</c>, projection <c>1</c>
/// (D → 2·inner, no bias), SwiGLU (<c>a · silu(g)</c> of the two halves), projection <c>5</c> (inner → D, no bias).
/// </summary>
public sealed class PriorFeedForward : TorchModule
{
    public PriorFeedForward(int dim, int inner) : base(nameof(PriorFeedForward))
    {
        Norm = RegisterModule("0", new PriorLayerNorm(dim));
        ProjectIn = RegisterModule("1", nn.Linear(dim, inner * 2, hasBias: false));
        ProjectOut = RegisterModule("5", nn.Linear(inner, dim, hasBias: false));
    }

    public PriorLayerNorm Norm { get; }
    public Linear ProjectIn { get; }
    public Linear ProjectOut { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var halves = ProjectIn.forward(Norm.Forward(x)).chunk(2, -1);
        var swiglu = halves[0].mul(F.silu(halves[1]));
        return ProjectOut.forward(swiglu).MoveToOuterDisposeScope();
    }
}
