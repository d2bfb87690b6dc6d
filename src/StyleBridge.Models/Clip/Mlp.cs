using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>The block's feed-forward part: <c>c_fc</c> (width → 4·width), QuickGELU, <c>c_proj</c> (back to width).</summary>
public sealed class Mlp : Module
{
    public Mlp(long width)
    {
        CFc = RegisterModule("c_fc", new Linear(width, width * 4));
        Gelu = RegisterModule("gelu", new QuickGelu());
        CProj = RegisterModule("c_proj", new Linear(width * 4, width));
    }

    public Linear CFc { get; }
    public QuickGelu Gelu { get; }
    public Linear CProj { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = TensorScope.Begin();
        var hidden = Gelu.Forward(CFc.Forward(x));
        return CProj.Forward(hidden).MoveToOuterScope();
    }
}
