using System.Collections.Concurrent;
using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>How generator output is brought to the model resolution.</summary>
public enum ClipResizeMode
{
    /// <summary>Area interpolation (adaptive average pooling) straight to n×n, as clip2latent does.</summary>
    Area,

    /// <summary>
    /// StyleCLIP's <c>CLIPLoss</c> (also DeltaEdit): nearest upsampling ×7, then average pooling with
    /// kernel = stride = ⌊7·N / n⌋ (N/32 for n = 224). Computed as the equal separable weighted box filter.
    /// </summary>
    StyleClipPool,

    /// <summary>Bicubic with antialiasing, shorter side to n, centre crop: a float analogue of the photo pipeline.</summary>
    Bicubic,
}

/// <summary>What happens to the values after resizing.</summary>
public enum ClipInputNormalization
{
    /// <summary>u = 0.5·x + 0.5, then (u − mean) / std.</summary>
    MeanStd,

    /// <summary>Raw [−1, 1] values, as StyleCLIP and DeltaEdit feed CLIP.</summary>
    None,

    /// <summary>
    /// clip2latent's <c>Clipper.embed_image</c>: u = 0.5·x + 0.5, (u − mean) / std, clamp to [0, 1], then
    /// (· − mean) / std again (the released code; its training data used <see cref="MeanStd"/>).
    /// </summary>
    DoubleMeanStdWithClamp,
}

/// <summary>
/// Differentiable preprocessing of generator output [N, 3, H, W] in [−1, 1] (any resolution, float dtype and device)
/// into CLIP image input [N, 3, n, n], for re-ranking and latent optimisation. Every step is a tensor op, so
/// gradients reach the image.
/// </summary>
public sealed record ClipImageTransform(int Resolution = 224, ClipResizeMode Resize = ClipResizeMode.Area,
    ClipInputNormalization Normalization = ClipInputNormalization.MeanStd)
{
    private const int StyleClipUpsample = 7;
    private static readonly ConcurrentDictionary<(int In, int Out), float[]> PoolWeights = new();

    /// <summary>For <see cref="ClipResizeMode.Area"/>: an area resize to this size first (clip2latent's data chain 1024 → 256 → 224).</summary>
    public int? AreaIntermediateSize { get; init; }

    /// <summary>StyleCLIP / DeltaEdit: pool path, no normalisation.</summary>
    public static ClipImageTransform StyleClip(int resolution = 224) => new(resolution, ClipResizeMode.StyleClipPool, ClipInputNormalization.None);

    /// <summary>clip2latent: area resize; <paramref name="official"/> selects the released double normalisation.</summary>
    public static ClipImageTransform Clip2Latent(bool official = true, int resolution = 224) =>
        new(resolution, ClipResizeMode.Area, official ? ClipInputNormalization.DoubleMeanStdWithClamp : ClipInputNormalization.MeanStd);

    public Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.size(1) != 3)
            throw new ArgumentException($"expected images [N, 3, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        if (!images.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected floating-point images, got {images.dtype}", nameof(images));

        using var scope = NewDisposeScope();
        var resized = Resize switch
        {
            ClipResizeMode.Area => ResizeArea(images),
            ClipResizeMode.StyleClipPool => ResizeStyleClipPool(images),
            ClipResizeMode.Bicubic => ResizeBicubic(images),
            _ => throw new ArgumentOutOfRangeException(nameof(Resize), Resize, null),
        };
        return Normalize(resized).MoveToOuterDisposeScope();
    }

    private Tensor ResizeArea(Tensor images)
    {
        var x = images;
        if (AreaIntermediateSize is { } mid && (x.size(2) != mid || x.size(3) != mid))
            x = F.interpolate(x, [mid, mid], mode: InterpolationMode.Area);
        return x.size(2) == Resolution && x.size(3) == Resolution ? x.alias() : F.interpolate(x, [Resolution, Resolution], mode: InterpolationMode.Area);
    }

    private Tensor ResizeBicubic(Tensor images)
    {
        long h = images.size(2), w = images.size(3);
        var (newW, newH) = ClipPreprocessor.ResizedSize((int)w, (int)h, Resolution);
        var x = newW == w && newH == h ? images : F.interpolate(images, [newH, newW], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true);
        long top = (long)Math.Round((newH - Resolution) / 2.0, MidpointRounding.ToEven);
        long left = (long)Math.Round((newW - Resolution) / 2.0, MidpointRounding.ToEven);
        return x.narrow(2, top, Resolution).narrow(3, left, Resolution);
    }

    private Tensor ResizeStyleClipPool(Tensor images)
    {
        int h = (int)images.size(2), w = (int)images.size(3);
        int kernel = StyleClipUpsample * h / Resolution; // the reference: stylegan_size // 32 for n = 224
        using var rows = PoolMatrix(h, kernel, images);
        using var cols = PoolMatrix(w, kernel, images);
        using var vertical = rows.matmul(images); // [N, 3, n, W]
        using var colsT = cols.t();
        return vertical.matmul(colsT);
    }

    /// <summary>
    /// The [n, size] matrix of nearest ×7 upsampling followed by a 1-D average pool of width <paramref name="kernel"/>:
    /// row o weighs source pixel p by |{u ∈ [k·o, k·o + k) : ⌊u / 7⌋ = p}| / k.
    /// </summary>
    private Tensor PoolMatrix(int size, int kernel, Tensor like)
    {
        if (kernel < 1)
            throw new ArgumentException($"the StyleCLIP pool path needs inputs of at least {Resolution / StyleClipUpsample} pixels, got {size}");
        int outSize = (StyleClipUpsample * size - kernel) / kernel + 1;
        if (outSize != Resolution)
            throw new ArgumentException($"the StyleCLIP pool path maps {size} pixels to {outSize}, not {Resolution} " +
                $"(kernel {kernel}); use a side that is a multiple of {Resolution / StyleClipUpsample}");
        var weights = PoolWeights.GetOrAdd((size, outSize), key =>
        {
            var m = new float[key.Out * key.In];
            for (int o = 0; o < key.Out; o++)
            {
                int start = kernel * o, end = start + kernel;
                for (int p = start / StyleClipUpsample; p * StyleClipUpsample < end; p++)
                {
                    int overlap = Math.Min(end, (p + 1) * StyleClipUpsample) - Math.Max(start, p * StyleClipUpsample);
                    m[o * key.In + p] = (float)overlap / kernel;
                }
            }

            return m;
        });
        using var cpu = Functional.FromArray(weights, outSize, size);
        return cpu.to(like.dtype, like.device);
    }

    private Tensor Normalize(Tensor x)
    {
        if (Normalization == ClipInputNormalization.None)
            return x.alias();
        using var mean = Channels(ClipPreprocessor.Mean, x);
        using var std = Channels(ClipPreprocessor.Std, x);
        var y = x.mul(0.5).add_(0.5).sub_(mean).div_(std);
        if (Normalization == ClipInputNormalization.DoubleMeanStdWithClamp)
            y = y.clamp(0, 1).sub_(mean).div_(std);
        return y;
    }

    private static Tensor Channels(IReadOnlyList<float> values, Tensor like)
    {
        using var cpu = Functional.FromArray(values.ToArray(), 1, 3, 1, 1);
        return cpu.to(like.dtype, like.device);
    }
}
