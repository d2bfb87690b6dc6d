using StyleBridge.Imaging;
using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference preprocessing of a photo (<c>clip.clip._transform(n_px)</c>, torchvision 0.14 with Pillow 9.4):
/// resize the shorter side to the model resolution with Pillow's BICUBIC (<see cref="PillowBicubic"/>, exact),
/// centre crop, then ToTensor and Normalize in float32. Bit-exact with the reference on 8-bit RGB input.
/// </summary>
public sealed class ClipPreprocessor
{
    private static readonly float[] MeanValues = [0.48145466f, 0.4578275f, 0.40821073f];
    private static readonly float[] StdValues = [0.26862954f, 0.26130258f, 0.27577711f];

    public ClipPreprocessor(int resolution = 224)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resolution);
        Resolution = resolution;
    }

    /// <summary>CLIP's per-channel mean (R, G, B) as float32.</summary>
    public static IReadOnlyList<float> Mean => MeanValues;

    /// <summary>CLIP's per-channel standard deviation (R, G, B) as float32.</summary>
    public static IReadOnlyList<float> Std => StdValues;

    public int Resolution { get; }

    /// <summary>torchvision's <c>Resize(n)</c> target: shorter side n, longer side <c>int(n · long / short)</c> (truncated).</summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int resolution)
    {
        if (width <= height)
            return (resolution, (int)((double)((long)resolution * height) / width));
        return ((int)((double)((long)resolution * width) / height), resolution);
    }

    public RgbImage Resize(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (w, h) = ResizedSize(image.Width, image.Height, Resolution);
        return PillowBicubic.Resize(image, w, h);
    }

    /// <summary>torchvision's CenterCrop: offsets <c>int(round((size − n) / 2))</c>, Python rounding (half to even).</summary>
    public RgbImage CenterCrop(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width < Resolution || image.Height < Resolution)
            throw new ArgumentException($"a {image.Width}x{image.Height} image is smaller than the {Resolution}x{Resolution} crop", nameof(image));
        int top = (int)Math.Round((image.Height - Resolution) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((image.Width - Resolution) / 2.0, MidpointRounding.ToEven);
        var crop = new RgbImage(Resolution, Resolution);
        for (int y = 0; y < Resolution; y++)
            image.Pixels.AsSpan((top + y) * image.Stride + 3 * left, crop.Stride).CopyTo(crop.Row(y));
        return crop;
    }

    /// <summary>ToTensor then Normalize, in float32 as torchvision computes them: (b / 255 − mean) / std, CHW order.</summary>
    public static float[] ToNormalizedChw(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        var result = new float[3 * plane];
        var pixels = image.Pixels;
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                float unit = pixels[3 * i + c] / 255f;
                result[c * plane + i] = (unit - MeanValues[c]) / StdValues[c];
            }
        }

        return result;
    }

    /// <summary>The whole pipeline for one image: [3, n, n] values in CHW order.</summary>
    public float[] Preprocess(RgbImage image) => ToNormalizedChw(CenterCrop(Resize(image)));

    /// <summary>The whole pipeline for a batch: a float32 [N, 3, n, n] tensor on <paramref name="device"/>.</summary>
    public Tensor ToTensor(IReadOnlyList<RgbImage> images, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("at least one image is required", nameof(images));
        int size = 3 * Resolution * Resolution;
        var all = new float[(long)images.Count * size];
        Parallel.For(0, images.Count, i => Preprocess(images[i]).CopyTo(all, (long)i * size));
        using var scope = NewDisposeScope();
        var cpu = Functional.FromArray(all, images.Count, 3, Resolution, Resolution);
        return (device is { } d && d.IsCuda() ? cpu.to(d) : cpu).MoveToOuterDisposeScope();
    }
}
