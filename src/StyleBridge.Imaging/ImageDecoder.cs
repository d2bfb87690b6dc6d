using StyleBridge.Imaging.Codecs;
using StyleBridge.Imaging.Exif;

namespace StyleBridge.Imaging;

/// <summary>
/// Decodes untrusted PNG, JPEG or WebP bytes to <see cref="RgbImage"/>, displayed the right way up (EXIF orientation
/// from JPEG APP1, PNG eXIf or the WebP EXIF chunk is applied). Order of checks: byte size, signature, header
/// (dimensions and EXIF, read by our own parsers under Containers/ and Exif/, no pixel allocation), dimension limits,
/// container completeness, PNG metadata size, then the pixel decode through SkiaSharp. Every failure is an
/// <see cref="ImageDecodeException"/>.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Format, displayed size and orientation, from the header alone.</summary>
    public static ImageInfo Identify(ReadOnlySpan<byte> data)
    {
        var format = SniffOrThrow(data);
        var header = ReadHeader(data, format);
        return Info(format, header);
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, ImageLimits? limits = null) => Decode(data, limits, out _);

    public static RgbImage Decode(ReadOnlySpan<byte> data, ImageLimits? limits, out ImageInfo info)
    {
        limits ??= ImageLimits.Default;
        limits.CheckByteSize(data.Length, ImageFormats.Sniff(data));
        var format = SniffOrThrow(data);
        var header = ReadHeader(data, format);
        info = Info(format, header);
        limits.CheckDimensions(header.DisplayWidth, header.DisplayHeight, format);
        header.Scan.ThrowIfProblem(format);

        var stored = format switch
        {
            ImageFormat.Png => PngCodec.Decode(data, header, limits),
            ImageFormat.Jpeg => JpegCodec.Decode(data, header),
            ImageFormat.WebP => WebPCodec.Decode(data, header),
            _ => throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, format, "no decoder"),
        };
        return OrientationTransform.Apply(stored, header.Orientation);
    }

    /// <summary>Reads at most <see cref="ImageLimits.MaxBytes"/> from <paramref name="stream"/> (failing as soon as it holds more), then decodes.</summary>
    public static async Task<RgbImage> DecodeAsync(Stream stream, ImageLimits? limits = null, CancellationToken cancellationToken = default)
    {
        limits ??= ImageLimits.Default;
        var bytes = await ReadBoundedAsync(stream, limits.MaxBytes, cancellationToken).ConfigureAwait(false);
        return Decode(bytes, limits);
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                buffer.Write(chunk, 0, read);
                var format = ImageFormats.Sniff(buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, 16)));
                throw new ImageDecodeException(ImageDecodeReason.TooLarge, format, $"encoded image exceeds {maxBytes} bytes");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static ImageFormat SniffOrThrow(ReadOnlySpan<byte> data)
    {
        var format = ImageFormats.Sniff(data);
        if (format != ImageFormat.Unknown) return format;
        if (ImageFormats.IsSignaturePrefix(data))
            throw new ImageDecodeException(ImageDecodeReason.Truncated, format, $"{data.Length} bytes end inside a file signature");
        throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, format, "not a PNG, JPEG or WebP signature");
    }

    private static StoredHeader ReadHeader(ReadOnlySpan<byte> data, ImageFormat format) => format switch
    {
        ImageFormat.Png => PngCodec.ReadHeader(data),
        ImageFormat.Jpeg => JpegCodec.ReadHeader(data),
        ImageFormat.WebP => WebPCodec.ReadHeader(data),
        _ => throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, format, "no decoder"),
    };

    private static ImageInfo Info(ImageFormat format, StoredHeader header) =>
        new(format, header.DisplayWidth, header.DisplayHeight, header.Orientation);
}
