using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's StyleGAN2 <c>Discriminator</c> (residual architecture), registered under its names:
/// <c>convs</c> (an <c>nn.Sequential</c>: "0" the 1×1 from-RGB <see cref="ConvLayer"/> to channels[size], then one
/// <see cref="ResBlock"/> per halving down to 4×4), the minibatch standard deviation (group min(4, N), one feature),
/// <c>final_conv</c> (3×3 on C+1 channels, C = channels[4]) and <c>final_linear</c> ("0": EqualLinear C·16 → C with
/// fused leaky ReLU, "1": EqualLinear C → 1). Images [N, 3, size, size] → logits [N, 1].
/// </summary>
public sealed class Discriminator : TorchModule
{
    public const int StddevGroup = 4;
    public const int StddevFeatures = 1;

    private readonly List<ResBlock> blocks = [];

    public Discriminator(int size, IReadOnlyDictionary<int, int> channels, IReadOnlyList<int>? blurKernel = null) : base(nameof(Discriminator))
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (size < 4 || (size & (size - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "the resolution must be a power of two, at least 4");
        var table = new SortedDictionary<int, int>();
        for (int r = 4; r <= size; r *= 2)
        {
            if (!channels.TryGetValue(r, out int c) || c < 1)
                throw new ArgumentException($"the channel table has no positive entry for resolution {r}", nameof(channels));
            table[r] = c;
        }

        Size = size;
        Channels = table;
        BlurKernel = blurKernel ?? [1, 3, 3, 1];

        Convs = RegisterModule("convs", new ModuleList<TorchModule>());
        FromRgb = new ConvLayer(3, table[size], 1);
        Convs.Add(FromRgb);
        int inChannel = table[size];
        for (int r = size; r > 4; r /= 2)
        {
            int outChannel = table[r / 2];
            var block = new ResBlock(inChannel, outChannel, BlurKernel);
            Convs.Add(block);
            blocks.Add(block);
            inChannel = outChannel;
        }

        int c4 = table[4];
        FinalConv = RegisterModule("final_conv", new ConvLayer(inChannel + StddevFeatures, c4, 3));
        FinalLinear = RegisterModule("final_linear", new ModuleList<EqualLinear>(
        [
            new EqualLinear(c4 * 4 * 4, c4, activation: true),
            new EqualLinear(c4, 1),
        ]));
    }

    public int Size { get; }
    public IReadOnlyDictionary<int, int> Channels { get; }
    public IReadOnlyList<int> BlurKernel { get; }

    /// <summary>rosinality's <c>convs</c> Sequential: <see cref="FromRgb"/>, then <see cref="Blocks"/>.</summary>
    public ModuleList<TorchModule> Convs { get; }

    public ConvLayer FromRgb { get; }
    public IReadOnlyList<ResBlock> Blocks => blocks;
    public ConvLayer FinalConv { get; }
    public ModuleList<EqualLinear> FinalLinear { get; }

    /// <summary>
    /// Logits [N, 1] for floating images [N, 3, size, size]. The minibatch-stddev groups samples i, i + N/G, …, so
    /// N must be a multiple of G = min(4, N), as in the reference.
    /// </summary>
    public Tensor Forward(Tensor images)
    {
        CheckImages(images, Size);
        long n = images.size(0);
        long group = Math.Min(n, StddevGroup);
        if (n % group != 0)
            throw new ArgumentException($"the batch ({n}) must be a multiple of the minibatch-stddev group ({group})", nameof(images));

        using var scope = NewDisposeScope();
        var x = FromRgb.Forward(images);
        foreach (var block in blocks)
            x = block.Forward(x);
        x = AppendStddev(x, group);
        x = FinalConv.Forward(x).view(n, -1);
        x = FinalLinear[1].Forward(FinalLinear[0].Forward(x));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless <paramref name="images"/> is a floating [N ≥ 1, 3, size, size] batch (D's and the encoder's input).</summary>
    internal static void CheckImages(Tensor images, int size)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.size(0) < 1 || images.size(1) != 3 || images.size(2) != size || images.size(3) != size
            || !images.dtype.IsFloatingPoint())
            throw new ArgumentException(
                $"expected floating images [N ≥ 1, 3, {size}, {size}], got {images.dtype} {TensorBytes.Format(images.shape)}", nameof(images));
    }

    /// <summary>
    /// <c>sqrt(var over the group + 1e-8)</c>, averaged over channels and pixels, as one extra feature map:
    /// [N, C, H, W] → [N, C + 1, H, W].
    /// </summary>
    private static Tensor AppendStddev(Tensor x, long group)
    {
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        var grouped = x.view(group, -1, StddevFeatures, c / StddevFeatures, h, w);
        var stddev = grouped.var(0, unbiased: false).add(1e-8).sqrt();              // [N/G, F, C/F, H, W]
        stddev = stddev.mean([2, 3, 4], keepdim: true).squeeze(2);                  // [N/G, F, 1, 1]
        stddev = stddev.repeat(group, 1, h, w);                                      // [N, F, H, W]
        return cat([x, stddev], 1);
    }
}
