using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's discriminator <c>ResBlock</c>: <c>conv1</c> 3×3 (in → in), <c>conv2</c> 3×3 downsampling (in → out),
/// <c>skip</c> 1×1 downsampling without bias or activation; output <c>(conv2(conv1(x)) + skip(x)) / √2</c> at half
/// the resolution.
/// </summary>
public sealed class ResBlock : TorchModule
{
    public ResBlock(int inChannel, int outChannel, IReadOnlyList<int>? blurKernel = null) : base(nameof(ResBlock))
    {
        Conv1 = RegisterModule("conv1", new ConvLayer(inChannel, inChannel, 3, blurKernel: blurKernel));
        Conv2 = RegisterModule("conv2", new ConvLayer(inChannel, outChannel, 3, downsample: true, blurKernel: blurKernel));
        Skip = RegisterModule("skip", new ConvLayer(inChannel, outChannel, 1, downsample: true, blurKernel: blurKernel, bias: false, activate: false));
    }

    public ConvLayer Conv1 { get; }
    public ConvLayer Conv2 { get; }
    public ConvLayer Skip { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var output = Conv2.Forward(Conv1.Forward(x));
        var skip = Skip.Forward(x);
        return output.add(skip).div(Math.Sqrt(2)).MoveToOuterDisposeScope();
    }
}
