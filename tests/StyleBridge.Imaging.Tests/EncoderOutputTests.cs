using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

/// <summary>What the encoders write, read back from the bytes rather than through the decoder.</summary>
public class EncoderOutputTests
{
    [Fact]
    public void Png_is_8_bit_rgb_with_only_critical_chunks()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(300, 200, 12));
        var types = Crafting.PngChunkTypes(png);
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
        Assert.All(types[1..^1], t => Assert.Equal("IDAT", t));
        Assert.Equal((8, 2, 0), (png[24], png[25], png[28]));   // bit depth, colour type RGB, not interlaced
    }

    [Theory]
    [InlineData(ChromaSubsampling.Yuv444, 1, 1)]
    [InlineData(ChromaSubsampling.Yuv422, 2, 1)]
    [InlineData(ChromaSubsampling.Yuv420, 2, 2)]
    public void Jpeg_subsampling_is_written_to_the_frame_header(ChromaSubsampling subsampling, int lumaH, int lumaV)
    {
        var jpeg = ImageEncoder.EncodeJpeg(TestImages.Smooth(48, 32), 90, subsampling);
        var components = Crafting.JpegFrameComponents(jpeg);
        Assert.Equal(3, components.Length);
        Assert.Equal((lumaH, lumaV), (components[0].H, components[0].V));
        Assert.Equal((1, 1), (components[1].H, components[1].V));
        Assert.Equal((1, 1), (components[2].H, components[2].V));
    }

    [Fact]
    public void Jpeg_default_subsampling_is_420()
    {
        var components = Crafting.JpegFrameComponents(ImageEncoder.EncodeJpeg(TestImages.Smooth(16, 16)));
        Assert.Equal((2, 2), (components[0].H, components[0].V));
    }

    [Fact]
    public void Jpeg_444_keeps_colour_edges_better_than_420()
    {
        var image = TestImages.Blocks(cols: 9, rows: 1, block: 3);   // colour edges off the 8x8 and 16x16 grids
        double psnr444 = TestImages.Psnr(image, ImageDecoder.Decode(ImageEncoder.EncodeJpeg(image, 95, ChromaSubsampling.Yuv444)));
        double psnr420 = TestImages.Psnr(image, ImageDecoder.Decode(ImageEncoder.EncodeJpeg(image, 95, ChromaSubsampling.Yuv420)));
        Assert.True(psnr444 > psnr420 + 3, $"4:4:4 {psnr444:F1} dB, 4:2:0 {psnr420:F1} dB");
    }

    [Fact]
    public void Webp_is_a_simple_file_lossy_vp8_or_lossless_vp8l_without_alpha()
    {
        var image = TestImages.Smooth(20, 10);
        var lossy = ImageEncoder.EncodeWebP(image, 80);
        var lossless = ImageEncoder.EncodeWebP(image, lossless: true);
        Assert.Equal("VP8 "u8.ToArray(), lossy[12..16]);
        Assert.Equal("VP8L"u8.ToArray(), lossless[12..16]);
        Assert.False(Crafting.WebPHasAlpha(lossless));
    }

    [Fact]
    public void Lossy_webp_quality_changes_size()
    {
        var image = TestImages.Smooth(96, 64);
        Assert.True(ImageEncoder.EncodeWebP(image, 10).Length < ImageEncoder.EncodeWebP(image, 95).Length);
    }
}
