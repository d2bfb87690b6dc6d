using System.Runtime.InteropServices;
using StyleBridge.Imaging.Containers;
using static StyleBridge.Imaging.Native.TurboJpegNative;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// JPEG through TurboJPEG. Grayscale JPEGs decode to R=G=B. Warnings policy: libjpeg decodes damaged data with a
/// warning instead of failing; TurboJPEG then returns -1 with TJERR_WARNING after filling the buffer. We reject every
/// warning (premature end of file = <see cref="ImageDecodeReason.Truncated"/>, anything else = Corrupt) except
/// "extraneous bytes before marker", which some cameras and editors write and which leaves the image intact.
/// Progressive files with more than 500 scans are refused (TJFLAG_LIMITSCANS), a CPU-exhaustion guard.
/// </summary>
internal static unsafe class JpegCodec
{
    private const ImageFormat Format = ImageFormat.Jpeg;

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var scan = JpegSegments.Scan(data);
        scan.ThrowIfProblem(Format);

        nint handle = tjInitDecompress();
        if (handle == 0) throw new InvalidOperationException("tjInitDecompress failed");
        try
        {
            int width, height, subsamp, colorspace;
            fixed (byte* p = data)
            {
                if (tjDecompressHeader3(handle, p, new CULong((nuint)data.Length), &width, &height, &subsamp, &colorspace) != 0
                    && !IsAcceptedWarning(handle))
                    throw Fail(handle);
            }
            if (colorspace is TJCS_CMYK or TJCS_YCCK)
                throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, Format, "CMYK/YCCK JPEG is not supported");
            if (width <= 0 || height <= 0)
                throw new ImageDecodeException(ImageDecodeReason.Corrupt, Format, $"header dimensions {width}x{height}");
            return new StoredHeader(width, height, scan.Orientation(data), scan);
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header)
    {
        var pixels = GC.AllocateUninitializedArray<byte>(header.RgbLength);
        nint handle = tjInitDecompress();
        if (handle == 0) throw new InvalidOperationException("tjInitDecompress failed");
        try
        {
            int rc;
            fixed (byte* p = data)
            fixed (byte* dst = pixels)
            {
                rc = tjDecompress2(handle, p, new CULong((nuint)data.Length), dst,
                    header.Width, 3 * header.Width, header.Height, TJPF_RGB, TJFLAG_LIMITSCANS);
            }
            if (rc != 0 && !IsAcceptedWarning(handle)) throw Fail(handle);
            return new RgbImage(header.Width, header.Height, pixels);
        }
        finally
        {
            tjDestroy(handle);
        }
    }

    public static byte[] Encode(RgbImage image, int quality, ChromaSubsampling subsampling)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        int tjSamp = subsampling switch
        {
            ChromaSubsampling.Yuv444 => TJSAMP_444,
            ChromaSubsampling.Yuv422 => TJSAMP_422,
            ChromaSubsampling.Yuv420 => TJSAMP_420,
            _ => throw new ArgumentOutOfRangeException(nameof(subsampling)),
        };
        if (image.Width > 65535 || image.Height > 65535)
            throw new ImageEncodeException(Format, $"{image.Width}x{image.Height} exceeds JPEG's 65535 per side");

        nint handle = tjInitCompress();
        if (handle == 0) throw new InvalidOperationException("tjInitCompress failed");
        byte* jpeg = null;
        try
        {
            CULong size = default;
            fixed (byte* src = image.Pixels)
            {
                if (tjCompress2(handle, src, image.Width, image.Stride, image.Height, TJPF_RGB, &jpeg, &size, tjSamp, quality, 0) != 0)
                    throw new ImageEncodeException(Format, ErrorString(handle));
            }
            return new ReadOnlySpan<byte>(jpeg, checked((int)size.Value)).ToArray();
        }
        finally
        {
            tjFree(jpeg);
            tjDestroy(handle);
        }
    }

    private static bool IsAcceptedWarning(nint handle) =>
        tjGetErrorCode(handle) == TJERR_WARNING
        && ErrorString(handle).Contains("extraneous bytes before marker", StringComparison.Ordinal);

    // libjpeg messages for valid-but-unsupported streams (12-bit precision, lossless/hierarchical SOF types, CMYK to RGB).
    // "Unsupported marker type" is deliberately absent: it means a damaged stream.
    private static readonly string[] UnsupportedMessages =
        ["Unsupported JPEG data precision", "Unsupported JPEG process", "Unsupported color conversion"];

    private static ImageDecodeException Fail(nint handle)
    {
        string message = ErrorString(handle);
        var reason = message.Contains("Premature end", StringComparison.Ordinal) ? ImageDecodeReason.Truncated
            : UnsupportedMessages.Any(m => message.Contains(m, StringComparison.Ordinal)) ? ImageDecodeReason.UnsupportedFormat
            : ImageDecodeReason.Corrupt;
        return new ImageDecodeException(reason, Format, message);
    }
}
