using SkiaSharp;
using StyleBridge.Imaging.Containers;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// JPEG: our marker walk for the header and completeness (a file without EOI is truncated), SkiaSharp (libjpeg-turbo)
/// for the pixels. Grayscale JPEGs decode to R=G=B. 12-bit, lossless, hierarchical and CMYK/YCCK files are refused as
/// unsupported from the frame header. Damage inside the entropy-coded data that libjpeg recovers from with a warning
/// decodes (Skia does not report libjpeg warnings); "extraneous bytes before marker" in particular is accepted.
/// </summary>
internal static class JpegCodec
{
    private const ImageFormat Format = ImageFormat.Jpeg;

    /// <summary>Largest side the frame header can carry.</summary>
    public const int MaxDimension = 65535;

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var scan = JpegSegments.Scan(data, out var found);
        if (found is not { } frame)
        {
            scan.ThrowIfProblem(Format);
            throw Corrupt("no frame header (SOF) before the first scan");
        }
        if (!frame.IsSequentialOrProgressiveDct)
            throw Unsupported($"frame type SOF{frame.Marker - 0xC0} (lossless or hierarchical) is not supported");
        if (frame.Precision != 8) throw Unsupported($"{frame.Precision}-bit samples are not supported");
        if (frame.Components is not (1 or 3)) throw Unsupported($"{frame.Components} colour components (CMYK/YCCK) are not supported");
        if (frame.Width == 0 || frame.Height == 0) throw Corrupt($"header dimensions {frame.Width}x{frame.Height}");
        return new StoredHeader(frame.Width, frame.Height, scan.Orientation(data), scan);  // problems surface after the size check
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header) =>
        SkiaDecoder.Decode(data, Format, header.Width, header.Height);

    public static byte[] Encode(RgbImage image, int quality, ChromaSubsampling subsampling)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var downsample = subsampling switch
        {
            ChromaSubsampling.Yuv444 => SKJpegEncoderDownsample.Downsample444,
            ChromaSubsampling.Yuv422 => SKJpegEncoderDownsample.Downsample422,
            ChromaSubsampling.Yuv420 => SKJpegEncoderDownsample.Downsample420,
            _ => throw new ArgumentOutOfRangeException(nameof(subsampling)),
        };
        if (image.Width > MaxDimension || image.Height > MaxDimension)
            throw new ImageEncodeException(Format, $"{image.Width}x{image.Height} exceeds JPEG's {MaxDimension} per side");

        var options = new SKJpegEncoderOptions(quality, downsample, SKJpegEncoderAlphaOption.Ignore);
        return SkiaEncoder.Encode(image, Format, pixmap => pixmap.Encode(options));
    }

    private static ImageDecodeException Corrupt(string message) => new(ImageDecodeReason.Corrupt, Format, message);

    private static ImageDecodeException Unsupported(string message) => new(ImageDecodeReason.UnsupportedFormat, Format, message);
}
