using System.Runtime.InteropServices;
using SkiaSharp;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// Encodes through SkiaSharp: the image is widened to opaque RGBA (alpha type Opaque, so the encoders write no alpha
/// channel) without a colour space (so no ICC profile or sRGB chunk is written).
/// </summary>
internal static unsafe class SkiaEncoder
{
    public static byte[] Encode(RgbImage image, ImageFormat format, Func<SKPixmap, SKData?> encode)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        void* rgba = NativeMemory.Alloc((nuint)info.BytesSize64);
        try
        {
            for (int y = 0; y < image.Height; y++)
                PixelConversion.RgbToRgba(image.Row(y), new Span<byte>((byte*)rgba + (long)y * info.RowBytes, 4 * image.Width));
            using var pixmap = new SKPixmap(info, (nint)rgba, info.RowBytes);
            using var encoded = encode(pixmap);
            if (encoded is null || encoded.IsEmpty) throw new ImageEncodeException(format, "SkiaSharp returned no data");
            return encoded.ToArray();
        }
        finally
        {
            NativeMemory.Free(rgba);
        }
    }
}
