using SkiaSharp;
using StyleBridge.Imaging.Containers;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// WebP (still images, lossy or lossless): our RIFF walk for the header, SkiaSharp (libwebp) for the pixels. Alpha is
/// dropped, not composited: the stored colour is kept. Animated WebP is refused as unsupported.
/// </summary>
internal static class WebPCodec
{
    private const ImageFormat Format = ImageFormat.WebP;

    /// <summary>Largest side the WebP bitstream can carry.</summary>
    public const int MaxDimension = 16383;

    /// <summary>For lossless encoding Skia reads quality as effort; 70 is what libwebp's one-call lossless API uses.</summary>
    private const float LosslessEffort = 70;

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var scan = RiffChunks.Scan(data);   // problems surface after the size check, see ImageDecoder
        var features = RiffChunks.ReadFeatures(data);
        if (features.Animated)
            throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, Format, "animated WebP is not supported");
        return new StoredHeader(features.Width, features.Height, scan.Orientation(data), scan);
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header) =>
        SkiaDecoder.Decode(data, Format, header.Width, header.Height);

    public static byte[] Encode(RgbImage image, int quality, bool lossless)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (image.Width > MaxDimension || image.Height > MaxDimension)
            throw new ImageEncodeException(Format, $"{image.Width}x{image.Height} exceeds WebP's {MaxDimension} per side");

        var options = lossless
            ? new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, LosslessEffort)
            : new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, quality);
        return SkiaEncoder.Encode(image, Format, pixmap => pixmap.Encode(options));
    }
}
