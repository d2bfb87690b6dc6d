using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

public class SniffTests
{
    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, ImageFormat.Png)]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, ImageFormat.WebP)]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45 }, ImageFormat.Unknown)]  // RIFF/WAVE
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, ImageFormat.Unknown)]                        // GIF89a
    [InlineData(new byte[] { 0x42, 0x4D, 0, 0 }, ImageFormat.Unknown)]                                          // BMP
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, ImageFormat.Unknown)]                                    // cut signature
    [InlineData(new byte[0], ImageFormat.Unknown)]
    public void Sniffs_signatures(byte[] data, ImageFormat expected) => Assert.Equal(expected, ImageFormats.Sniff(data));

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.WebP)]
    public void Sniffs_real_encoder_output(ImageFormat format)
    {
        var bytes = ImageEncoder.Encode(TestImages.Smooth(9, 9), format);
        Assert.Equal(format, ImageFormats.Sniff(bytes));
    }

    [Fact]
    public void Gif_is_unsupported_not_corrupt()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("GIF89a\x01\0\x01\0\0\0\0;"u8));
        Assert.Equal(ImageDecodeReason.UnsupportedFormat, ex.Reason);
    }

    [Fact]
    public void Mime_types_and_extensions()
    {
        Assert.Equal("image/webp", ImageFormat.WebP.MimeType());
        Assert.Equal(".jpg", ImageFormat.Jpeg.FileExtension());
    }
}
