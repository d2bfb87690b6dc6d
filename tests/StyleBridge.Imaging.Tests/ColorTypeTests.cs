using StyleBridge.Imaging;
using StyleBridge.Imaging.Native;

namespace StyleBridge.Imaging.Tests;

/// <summary>Grayscale becomes R=G=B; alpha is dropped (stored colour kept, not composited); 16-bit and palette PNG reduce to RGB8.</summary>
public class ColorTypeTests
{
    [Fact]
    public void Gray_png_replicates_to_rgb()
    {
        byte[] gray = [0, 50, 100, 150, 200, 255];
        var png = Crafting.Png(3, 2, 8, 0, gray, 3);
        var image = ImageDecoder.Decode(png);
        for (int i = 0; i < gray.Length; i++)
            Assert.Equal((gray[i], gray[i], gray[i]), image.GetPixel(i % 3, i / 3));
    }

    [Fact]
    public void Rgba_png_drops_alpha_without_compositing()
    {
        byte[] rgba = [10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255];
        var png = Crafting.Png(3, 1, 8, 6, rgba, 12);
        var image = ImageDecoder.Decode(png);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 60, 70, 80, 90 }, image.Pixels);
    }

    [Fact]
    public void Gray_alpha_png_drops_alpha()
    {
        byte[] ga = [10, 0, 200, 255];
        var image = ImageDecoder.Decode(Crafting.Png(2, 1, 8, 4, ga, 4));
        Assert.Equal(new byte[] { 10, 10, 10, 200, 200, 200 }, image.Pixels);
    }

    [Fact]
    public void Sixteen_bit_png_keeps_the_high_byte()
    {
        byte[] rgb16 = [0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF, 0x00, 0x01, 0x80, 0x00, 0x7F, 0xFF];
        var image = ImageDecoder.Decode(Crafting.Png(2, 1, 16, 2, rgb16, 12));
        Assert.Equal(new byte[] { 0x12, 0xAB, 0xFF, 0x00, 0x80, 0x7F }, image.Pixels);
    }

    [Fact]
    public void Palette_png_expands()
    {
        byte[] plte = [255, 0, 0, 0, 255, 0, 0, 0, 255];
        byte[] indices = [2, 0, 1];
        var png = Crafting.Png(3, 1, 8, 3, indices, 3, Crafting.PngChunk("PLTE", plte));
        Assert.Equal(new byte[] { 0, 0, 255, 255, 0, 0, 0, 255, 0 }, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Gray_jpeg_replicates_to_rgb()
    {
        const int w = 16, h = 8;
        var gray = new byte[w * h];
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(i < gray.Length / 2 ? 60 : 190);

        var jpeg = EncodeGrayJpeg(gray, w, h);
        var image = ImageDecoder.Decode(jpeg);
        Assert.Equal((w, h), (image.Width, image.Height));
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (r, g, b) = image.GetPixel(x, y);
            Assert.True(r == g && g == b);
            Assert.InRange(r, gray[y * w + x] - 3, gray[y * w + x] + 3);
        }
    }

    [Fact]
    public unsafe void Webp_with_alpha_drops_alpha()
    {
        const int w = 4, h = 2;
        var rgba = new byte[w * h * 4];
        var expected = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
        {
            rgba[4 * i] = expected[3 * i] = (byte)(30 * i);
            rgba[4 * i + 1] = expected[3 * i + 1] = (byte)(255 - 30 * i);
            rgba[4 * i + 2] = expected[3 * i + 2] = (byte)(7 * i);
            rgba[4 * i + 3] = (byte)(10 + 30 * i);   // never 0: libwebp may rewrite the colour of fully transparent pixels
        }
        byte* output = null;
        nuint size;
        fixed (byte* src = rgba) size = WebPNative.WebPEncodeLosslessRGBA(src, w, h, 4 * w, &output);
        var webp = new ReadOnlySpan<byte>(output, (int)size).ToArray();
        WebPNative.WebPFree(output);

        Assert.Equal(expected, ImageDecoder.Decode(webp).Pixels);
    }

    internal static unsafe byte[] EncodeGrayJpeg(byte[] gray, int w, int h)
    {
        nint handle = TurboJpegNative.tjInitCompress();
        try
        {
            byte* jpeg = null;
            System.Runtime.InteropServices.CULong size = default;
            fixed (byte* src = gray)
                Assert.Equal(0, TurboJpegNative.tjCompress2(handle, src, w, w, h, TurboJpegNative.TJPF_GRAY, &jpeg, &size,
                    TurboJpegNative.TJSAMP_GRAY, 95, 0));
            var bytes = new ReadOnlySpan<byte>(jpeg, (int)size.Value).ToArray();
            TurboJpegNative.tjFree(jpeg);
            return bytes;
        }
        finally
        {
            TurboJpegNative.tjDestroy(handle);
        }
    }
}
