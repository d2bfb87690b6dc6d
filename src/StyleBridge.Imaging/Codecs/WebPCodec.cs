using StyleBridge.Imaging.Containers;
using static StyleBridge.Imaging.Native.WebPNative;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// WebP through libwebp (still images, lossy or lossless). Alpha is dropped, not composited: MODE_RGB output keeps
/// the stored colour. Animated WebP is refused as unsupported.
/// </summary>
internal static unsafe class WebPCodec
{
    private const ImageFormat Format = ImageFormat.WebP;

    /// <summary>Largest side the WebP bitstream can carry.</summary>
    public const int MaxDimension = 16383;

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var scan = RiffChunks.Scan(data);   // problems surface after the size check, see ImageDecoder
        WebPBitstreamFeatures features;
        int status;
        fixed (byte* p = data)
            status = WebPGetFeaturesInternal(p, (nuint)data.Length, &features, WEBP_DECODER_ABI_VERSION);
        if (status != VP8_STATUS_OK) throw Fail(status, "WebPGetFeatures");
        if (features.HasAnimation != 0)
            throw new ImageDecodeException(ImageDecodeReason.UnsupportedFormat, Format, "animated WebP is not supported");
        if (features.Width <= 0 || features.Height <= 0)
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, Format, $"header dimensions {features.Width}x{features.Height}");
        return new StoredHeader(features.Width, features.Height, scan.Orientation(data), scan);
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header)
    {
        WebPDecoderConfig config;
        if (WebPInitDecoderConfigInternal(&config, WEBP_DECODER_ABI_VERSION) == 0)
            throw new InvalidOperationException("libwebp decoder ABI mismatch");

        var pixels = GC.AllocateUninitializedArray<byte>(header.RgbLength);
        int status;
        fixed (byte* p = data)
        fixed (byte* dst = pixels)
        {
            config.Output.Colorspace = MODE_RGB;
            config.Output.IsExternalMemory = 1;
            config.Output.U.Rgba = dst;
            config.Output.U.Stride = 3 * header.Width;
            config.Output.U.Size = (nuint)pixels.Length;
            status = WebPDecode(p, (nuint)data.Length, &config);
            WebPFreeDecBuffer(&config.Output);
        }
        if (status != VP8_STATUS_OK) throw Fail(status, "WebPDecode");
        if (config.Output.Width != header.Width || config.Output.Height != header.Height)
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, Format, "decoded size differs from the header");
        return new RgbImage(header.Width, header.Height, pixels);
    }

    public static byte[] Encode(RgbImage image, int quality, bool lossless)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (image.Width > MaxDimension || image.Height > MaxDimension)
            throw new ImageEncodeException(Format, $"{image.Width}x{image.Height} exceeds WebP's {MaxDimension} per side");

        byte* output = null;
        try
        {
            nuint size;
            fixed (byte* src = image.Pixels)
            {
                size = lossless
                    ? WebPEncodeLosslessRGB(src, image.Width, image.Height, image.Stride, &output)
                    : WebPEncodeRGB(src, image.Width, image.Height, image.Stride, quality, &output);
            }
            if (size == 0 || output == null) throw new ImageEncodeException(Format, "libwebp encoder failed");
            return new ReadOnlySpan<byte>(output, checked((int)size)).ToArray();
        }
        finally
        {
            WebPFree(output);
        }
    }

    private static ImageDecodeException Fail(int status, string where)
    {
        var reason = status switch
        {
            VP8_STATUS_NOT_ENOUGH_DATA => ImageDecodeReason.Truncated,
            VP8_STATUS_UNSUPPORTED_FEATURE => ImageDecodeReason.UnsupportedFormat,
            VP8_STATUS_OUT_OF_MEMORY => ImageDecodeReason.TooLarge,
            _ => ImageDecodeReason.Corrupt,
        };
        return new ImageDecodeException(reason, Format, $"{where} returned VP8StatusCode {status}");
    }
}
