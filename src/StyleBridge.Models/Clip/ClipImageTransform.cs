using System.Collections.Concurrent;
using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>How generator output is brought to the model resolution.</summary>
public enum ClipResizeMode
{
    /// <summary>Area interpolation (adaptive average pooling) straight to n×n, as clip2latent does.</summary>
    Area,

    /// <summary>
    /// StyleCLIP's <c>CLIPLoss</c> (also DeltaEdit): nearest upsampling ×u, then average pooling with
    /// kernel = stride = k, u = n / gcd(N, n), k = N / gcd(N, n) (the reference's 7 and N/32 for n = 224). Computed as
    /// the equal separable weighted box filter.
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
        using var rows = PoolMatrix(h, images);
        using var cols = PoolMatrix(w, images);
        using var vertical = rows.matmul(images); // [N, 3, n, W]
        using var colsT = cols.t();
        return vertical.matmul(colsT);
    }

    /// <summary>
    /// The [n, size] matrix of nearest upsampling by u followed by a 1-D average pool of width k (kernel = stride), with
    /// u = n / gcd(size, n) and k = size / gcd(size, n): the reference's 7 and 32 for 1024 → 224. Row o weighs source
    /// pixel p by |{v ∈ [k·o, k·o + k) : ⌊v / u⌋ = p}| / k, the exact-area average of [o·size/n, (o+1)·size/n).
    /// </summary>
    private Tensor PoolMatrix(int size, Tensor like)
    {
        int g = (int)BigIntegerGcd(size, Resolution);
        int up = Resolution / g, kernel = size / g;
        var weights = PoolWeights.GetOrAdd((size, Resolution), key =>
        {
            var m = new float[key.Out * key.In];
            for (int o = 0; o < key.Out; o++)
            {
                int start = kernel * o, end = start + kernel;
                for (int p = start / up; p * up < end; p++)
                {
                    int overlap = Math.Min(end, (p + 1) * up) - Math.Max(start, p * up);
                    m[o * key.In + p] = (float)overlap / kernel;
                }
            }

            return m;
        });
        using var cpu = Functional.FromArray(weights, Resolution, size);
        return cpu.to(like.dtype, like.device);
    }

    private static long BigIntegerGcd(long a, long b) => b == 0 ? a : BigIntegerGcd(b, a % b);

    private Tensor Normalize(Tensor x)
    {
        if (Normalization == ClipInputNormalization.None)
            return x.alias();
        using var mean = Channels(ClipPreprocessor.Mean, x);
        using var std = Channels(ClipPreprocessor.Std, x);
        var y = x.MulScalar(0.5).AddScalar_(0.5).sub_(mean).div_(std);
        if (Normalization == ClipInputNormalization.DoubleMeanStdWithClamp)
            y = y.ClampScalar(0, 1).sub_(mean).div_(std);
        return y;
    }

    private static Tensor Channels(IReadOnlyList<float> values, Tensor like)
    {
        using var cpu = Functional.FromArray(values.ToArray(), 1, 3, 1, 1);
        return cpu.to(like.dtype, like.device);
    }
}
