using System.Runtime.InteropServices;
using SkiaSharp;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// The pixel decode through SkiaSharp's <see cref="SKCodec"/>, called only after the header checks and limits passed.
/// Pixels come out as stored (no EXIF orientation), with no colour management (no destination colour space: ICC
/// profiles and gAMA are ignored), as unpremultiplied RGBA whose alpha is then dropped: the stored colour of a
/// transparent pixel is kept, not composited. Every failure becomes an <see cref="ImageDecodeException"/>.
/// </summary>
internal static unsafe class SkiaDecoder
{
    public static RgbImage Decode(ReadOnlySpan<byte> data, ImageFormat format, int width, int height)
    {
        try
        {
            return DecodeOrThrow(data, format, width, height);
        }
        catch (Exception ex) when (ex is not ImageDecodeException && !IsEnvironmentFailure(ex))
        {
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, format, $"SkiaSharp: {ex.Message}", ex);
        }
    }

    private static RgbImage DecodeOrThrow(ReadOnlySpan<byte> data, ImageFormat format, int width, int height)
    {
        fixed (byte* encoded = data)
        {
            // SKData wraps the pinned input without copying; everything that references it is disposed in this scope.
            using var skData = SKData.Create((nint)encoded, data.Length);
            using var stream = new SKMemoryStream(skData);
            using var codec = SKCodec.Create(stream, out var created);
            if (codec is null) throw Fail(created, format, "SKCodec.Create");
            if (codec.EncodedFormat != SkiaFormat(format))
                throw new ImageDecodeException(ImageDecodeReason.Corrupt, format, $"SkiaSharp reads the data as {codec.EncodedFormat}");
            if (codec.Info.Width != width || codec.Info.Height != height)
                throw new ImageDecodeException(ImageDecodeReason.Corrupt, format,
                    $"SkiaSharp reads {codec.Info.Width}x{codec.Info.Height}, the header says {width}x{height}");

            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            nuint rgbaBytes = (nuint)info.BytesSize64;
            void* rgba = NativeMemory.Alloc(rgbaBytes);
            try
            {
                var result = codec.GetPixels(info, (nint)rgba, info.RowBytes, SKCodecOptions.Default);
                if (result != SKCodecResult.Success) throw Fail(result, format, "SKCodec.GetPixels");
                var image = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(checked(3 * width * height)));
                for (int y = 0; y < height; y++)
                    PixelConversion.RgbaToRgb(new ReadOnlySpan<byte>((byte*)rgba + (long)y * info.RowBytes, 4 * width), image.Row(y));
                return image;
            }
            finally
            {
                NativeMemory.Free(rgba);
            }
        }
    }

    private static SKEncodedImageFormat SkiaFormat(ImageFormat format) => format switch
    {
        ImageFormat.Png => SKEncodedImageFormat.Png,
        ImageFormat.Jpeg => SKEncodedImageFormat.Jpeg,
        ImageFormat.WebP => SKEncodedImageFormat.Webp,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>
    /// A result other than Success: IncompleteInput (the data ends before the image does) is Truncated, Unimplemented
    /// (a variant Skia does not decode) is UnsupportedFormat, anything else (ErrorInInput, InvalidInput, ...) is Corrupt.
    /// </summary>
    internal static ImageDecodeException Fail(SKCodecResult result, ImageFormat format, string where)
    {
        var reason = result switch
        {
            SKCodecResult.IncompleteInput => ImageDecodeReason.Truncated,
            SKCodecResult.Unimplemented => ImageDecodeReason.UnsupportedFormat,
            _ => ImageDecodeReason.Corrupt,
        };
        return new ImageDecodeException(reason, format, $"{where} returned {result}");
    }

    /// <summary>
    /// Not the input's fault, so not an <see cref="ImageDecodeException"/>: a missing libSkiaSharp.so (or one of the system
    /// libraries it needs) is a deployment error, and running out of memory for an image within the limits propagates as is.
    /// </summary>
    private static bool IsEnvironmentFailure(Exception ex) =>
        ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or OutOfMemoryException;
}
