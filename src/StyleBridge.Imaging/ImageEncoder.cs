using StyleBridge.Imaging.Codecs;

namespace StyleBridge.Imaging;

/// <summary>Encodes <see cref="RgbImage"/> as PNG (8-bit RGB, no metadata), JPEG or WebP.</summary>
public static class ImageEncoder
{
    public const int DefaultQuality = 90;

    public static byte[] EncodePng(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PngCodec.Encode(image);
    }

    /// <param name="quality">1 (worst) to 100 (best), libjpeg's scale.</param>
    public static byte[] EncodeJpeg(RgbImage image, int quality = DefaultQuality, ChromaSubsampling subsampling = ChromaSubsampling.Yuv420)
    {
        ArgumentNullException.ThrowIfNull(image);
        return JpegCodec.Encode(image, quality, subsampling);
    }

    /// <param name="quality">0 to 100 for lossy encoding; ignored when <paramref name="lossless"/> (exact pixels).</param>
    public static byte[] EncodeWebP(RgbImage image, int quality = DefaultQuality, bool lossless = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        return WebPCodec.Encode(image, quality, lossless);
    }

    /// <param name="quality">used by JPEG and lossy WebP; PNG and lossless WebP ignore it.</param>
    public static byte[] Encode(RgbImage image, ImageFormat format, int quality = DefaultQuality, bool lossless = false) => format switch
    {
        ImageFormat.Png => EncodePng(image),
        ImageFormat.Jpeg => EncodeJpeg(image, quality),
        ImageFormat.WebP => EncodeWebP(image, quality, lossless),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "cannot encode this format"),
    };
}
