using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>The block's feed-forward part: <c>c_fc</c> (width → 4·width), QuickGELU, <c>c_proj</c> (back to width).</summary>
public sealed class Mlp : TorchModule
{
    public Mlp(long width) : base(nameof(Mlp))
    {
        CFc = RegisterModule("c_fc", nn.Linear(width, width * 4));
        Gelu = RegisterModule("gelu", new QuickGelu());
        CProj = RegisterModule("c_proj", nn.Linear(width * 4, width));
    }

    public Linear CFc { get; }
    public QuickGelu Gelu { get; }
    public Linear CProj { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = Gelu.Forward(CFc.forward(x));
        return CProj.forward(hidden).MoveToOuterDisposeScope();
    }
}
