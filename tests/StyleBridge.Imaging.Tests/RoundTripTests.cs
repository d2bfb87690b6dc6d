using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

public class RoundTripTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 23)]
    [InlineData(256, 3)]
    public void Png_is_lossless(int width, int height)
    {
        var image = TestImages.Noise(width, height, seed: width * 1000 + height);
        var png = ImageEncoder.EncodePng(image);

        Assert.Equal(ImageFormat.Png, ImageFormats.Sniff(png));
        var decoded = ImageDecoder.Decode(png);
        Assert.Equal(width, decoded.Width);
        Assert.Equal(height, decoded.Height);
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 23)]
    public void WebP_lossless_is_exact(int width, int height)
    {
        var image = TestImages.Noise(width, height, seed: 7);
        var webp = ImageEncoder.EncodeWebP(image, lossless: true);

        Assert.Equal(ImageFormat.WebP, ImageFormats.Sniff(webp));
        Assert.Equal(image.Pixels, ImageDecoder.Decode(webp).Pixels);
    }

    [Theory]
    [InlineData(95, 38.0)]
    [InlineData(90, 34.0)]
    [InlineData(50, 30.0)]
    public void Jpeg_round_trip_is_close(int quality, double minPsnr)
    {
        var image = TestImages.Smooth(96, 64);
        var jpeg = ImageEncoder.EncodeJpeg(image, quality);

        Assert.Equal(ImageFormat.Jpeg, ImageFormats.Sniff(jpeg));
        var decoded = ImageDecoder.Decode(jpeg);
        Assert.InRange(TestImages.Psnr(image, decoded), minPsnr, double.PositiveInfinity);
    }

    [Fact]
    public void Jpeg_quality_changes_size_and_error()
    {
        var image = TestImages.Smooth(96, 64);
        var low = ImageEncoder.EncodeJpeg(image, 10);
        var high = ImageEncoder.EncodeJpeg(image, 98, ChromaSubsampling.Yuv444);
        Assert.True(low.Length < high.Length);
        Assert.True(TestImages.Psnr(image, ImageDecoder.Decode(low)) < TestImages.Psnr(image, ImageDecoder.Decode(high)));
    }

    [Theory]
    [InlineData(90, 32.0)]
    [InlineData(50, 28.0)]
    public void WebP_lossy_round_trip_is_close(int quality, double minPsnr)
    {
        var image = TestImages.Smooth(96, 64);
        var webp = ImageEncoder.EncodeWebP(image, quality);

        var decoded = ImageDecoder.Decode(webp);
        Assert.InRange(TestImages.Psnr(image, decoded), minPsnr, double.PositiveInfinity);
        Assert.NotEqual(image.Pixels, decoded.Pixels);     // really lossy, not silently lossless
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.WebP)]
    public void Encode_dispatches_by_format_and_identify_reads_the_header(ImageFormat format)
    {
        var image = TestImages.Smooth(40, 30);
        var bytes = ImageEncoder.Encode(image, format);
        var info = ImageDecoder.Identify(bytes);
        Assert.Equal(new ImageInfo(format, 40, 30, ExifOrientation.TopLeft), info);
    }

    [Fact]
    public async Task DecodeAsync_reads_a_stream()
    {
        var image = TestImages.Noise(20, 10, 3);
        using var stream = new MemoryStream(ImageEncoder.EncodePng(image));
        var decoded = await ImageDecoder.DecodeAsync(stream);
        Assert.Equal(image.Pixels, decoded.Pixels);
    }

    [Fact]
    public void Rejects_bad_quality()
    {
        var image = TestImages.Smooth(8, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeJpeg(image, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeJpeg(image, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageEncoder.EncodeWebP(image, 101));
    }
}
