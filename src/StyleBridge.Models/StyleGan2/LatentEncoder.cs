using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// An image → w encoder built from the discriminator's blocks: <c>convs</c> ("0" the 1×1 from-RGB
/// <see cref="ConvLayer"/>, then one <see cref="ResBlock"/> per halving down to 4×4), <c>final_conv</c> (3×3) and
/// <c>final_linear</c> ("0": C·16 → C with leaky ReLU, "1": C → W). No minibatch standard deviation: each image is
/// encoded on its own. Images [N, 3, size, size] → w [N, W]. Used to pretrain the synthesis network as the decoder
/// of an autoencoder (<c>stylebridge train stylegan2-autoencoder</c>).
/// </summary>
public sealed class LatentEncoder : TorchModule
{
    private readonly List<ResBlock> blocks = [];

    public LatentEncoder(int size, IReadOnlyDictionary<int, int> channels, int styleDim) : base(nameof(LatentEncoder))
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (size < 4 || (size & (size - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "the resolution must be a power of two, at least 4");
        ArgumentOutOfRangeException.ThrowIfLessThan(styleDim, 1);
        int Channel(int r) => channels.TryGetValue(r, out int c) && c > 0
            ? c : throw new ArgumentException($"the channel table has no positive entry for resolution {r}", nameof(channels));

        Size = size;
        StyleDim = styleDim;
        Convs = RegisterModule("convs", new ModuleList<TorchModule>());
        var fromRgb = new ConvLayer(3, Channel(size), 1);
        Convs.Add(fromRgb);
        int inChannel = Channel(size);
        for (int r = size; r > 4; r /= 2)
        {
            var block = new ResBlock(inChannel, Channel(r / 2));
            Convs.Add(block);
            blocks.Add(block);
            inChannel = Channel(r / 2);
        }

        FromRgb = fromRgb;
        FinalConv = RegisterModule("final_conv", new ConvLayer(inChannel, inChannel, 3));
        FinalLinear = RegisterModule("final_linear", new ModuleList<EqualLinear>(
        [
            new EqualLinear(inChannel * 4 * 4, inChannel, activation: true),
            new EqualLinear(inChannel, styleDim),
        ]));
    }

    public int Size { get; }
    public int StyleDim { get; }
    public ModuleList<TorchModule> Convs { get; }
    public ConvLayer FromRgb { get; }
    public ConvLayer FinalConv { get; }
    public ModuleList<EqualLinear> FinalLinear { get; }

    public Tensor Forward(Tensor images)
    {
        Discriminator.CheckImages(images, Size);
        using var scope = NewDisposeScope();
        var x = FromRgb.Forward(images);
        foreach (var block in blocks)
            x = block.Forward(x);
        x = FinalConv.Forward(x).flatten(1);
        return FinalLinear[1].Forward(FinalLinear[0].Forward(x)).MoveToOuterDisposeScope();
    }
}
