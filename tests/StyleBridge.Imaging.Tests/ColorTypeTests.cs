using SkiaSharp;
using StyleBridge.Imaging;

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

        // Where rounding (x / 257) would give the next level up, the high byte is still kept.
        byte[] nearUp = [0x12, 0xF0, 0x7F, 0x80, 0xFE, 0xFF];
        Assert.Equal(new byte[] { 0x12, 0x7F, 0xFE }, ImageDecoder.Decode(Crafting.Png(1, 1, 16, 2, nearUp, 6)).Pixels);
    }

    [Fact]
    public void Palette_png_with_trns_drops_alpha()
    {
        byte[] plte = [200, 10, 20, 30, 40, 250];
        byte[] trns = [0, 128];
        byte[] indices = [0, 1];
        var png = Crafting.Png(2, 1, 8, 3, indices, 2, Crafting.PngChunk("PLTE", plte), Crafting.PngChunk("tRNS", trns));
        Assert.Equal(plte, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Low_bit_depth_gray_png_scales_to_8_bits()
    {
        byte[] gray2 = [0b00_01_10_11];     // four 2-bit samples: 0, 1, 2, 3 -> 0, 85, 170, 255
        var image = ImageDecoder.Decode(Crafting.Png(4, 1, 2, 0, gray2, 1));
        Assert.Equal(new byte[] { 0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255 }, image.Pixels);
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
    public void Png_gamma_is_not_applied()
    {
        var stored = TestImages.Unique(6, 4);
        byte[] linear = [0, 1, 0x86, 0xA0];     // gAMA 100000: linear samples, far from sRGB
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(stored), Crafting.PngChunk("gAMA", linear));
        Assert.Equal(stored.Pixels, ImageDecoder.Decode(png).Pixels);
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
    public void Webp_with_alpha_drops_alpha()
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
        var webp = EncodeWithSkia(rgba, new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            pixmap => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 70)));
        Assert.True(Crafting.WebPHasAlpha(webp), "the fixture must carry an alpha channel");

        Assert.Equal(expected, ImageDecoder.Decode(webp).Pixels);
    }

    /// <summary>A 1-component (grayscale) JPEG, written by Skia's encoder from an 8-bit gray pixmap.</summary>
    internal static byte[] EncodeGrayJpeg(byte[] gray, int w, int h)
    {
        var jpeg = EncodeWithSkia(gray, new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque),
            pixmap => pixmap.Encode(new SKJpegEncoderOptions(95)));
        Assert.Single(Crafting.JpegFrameComponents(jpeg));
        return jpeg;
    }

    private static unsafe byte[] EncodeWithSkia(byte[] pixels, SKImageInfo info, Func<SKPixmap, SKData?> encode)
    {
        Assert.Equal(info.BytesSize, pixels.Length);
        fixed (byte* p = pixels)
        {
            using var pixmap = new SKPixmap(info, (nint)p, info.RowBytes);
            using var data = encode(pixmap);
            Assert.NotNull(data);
            return data.ToArray();
        }
    }
}
