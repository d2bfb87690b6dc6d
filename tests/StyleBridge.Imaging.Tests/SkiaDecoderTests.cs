using SkiaSharp;
using StyleBridge.Imaging;
using StyleBridge.Imaging.Codecs;

namespace StyleBridge.Imaging.Tests;

/// <summary>How SkiaSharp's answers become <see cref="ImageDecodeException"/> once our header checks have passed.</summary>
public class SkiaDecoderTests
{
    [Theory]
    [InlineData(SKCodecResult.IncompleteInput, ImageDecodeReason.Truncated)]
    [InlineData(SKCodecResult.Unimplemented, ImageDecodeReason.UnsupportedFormat)]
    [InlineData(SKCodecResult.ErrorInInput, ImageDecodeReason.Corrupt)]
    [InlineData(SKCodecResult.InvalidInput, ImageDecodeReason.Corrupt)]
    [InlineData(SKCodecResult.InvalidConversion, ImageDecodeReason.Corrupt)]
    [InlineData(SKCodecResult.InternalError, ImageDecodeReason.Corrupt)]
    public void Codec_results_map_to_reasons(SKCodecResult result, ImageDecodeReason reason)
    {
        var ex = SkiaDecoder.Fail(result, ImageFormat.WebP, "GetPixels");
        Assert.Equal((reason, ImageFormat.WebP), (ex.Reason, ex.Format));
        Assert.Contains(result.ToString(), ex.Message);
    }

    [Fact]
    public void A_size_other_than_the_headers_is_corrupt()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(8, 6, 1));
        Assert.Equal(8, SkiaDecoder.Decode(png, ImageFormat.Png, 8, 6).Width);
        var ex = Assert.Throws<ImageDecodeException>(() => SkiaDecoder.Decode(png, ImageFormat.Png, 6, 8));
        Assert.Equal(ImageDecodeReason.Corrupt, ex.Reason);
    }

    [Fact]
    public void A_format_other_than_the_sniffed_one_is_corrupt()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(8, 6, 1));
        var ex = Assert.Throws<ImageDecodeException>(() => SkiaDecoder.Decode(png, ImageFormat.Jpeg, 8, 6));
        Assert.Equal((ImageDecodeReason.Corrupt, ImageFormat.Jpeg), (ex.Reason, ex.Format));
    }

    [Fact]
    public void Data_skia_cannot_open_is_an_image_decode_exception()
    {
        // Skia sniffs at least 32 bytes: shorter unknown data may still be the start of an image (IncompleteInput).
        var text = "this is not an image, only a line of text that is long enough to be sniffed"u8.ToArray();
        var ex = Assert.Throws<ImageDecodeException>(() => SkiaDecoder.Decode(text, ImageFormat.Png, 1, 1));
        Assert.Equal(ImageDecodeReason.UnsupportedFormat, ex.Reason);
        ex = Assert.Throws<ImageDecodeException>(() => SkiaDecoder.Decode(text[..20], ImageFormat.Png, 1, 1));
        Assert.Equal(ImageDecodeReason.Truncated, ex.Reason);
    }

    /// <summary>
    /// Valid structure and CRCs, but the IDAT payload is not a deflate stream. libpng stops early and Skia reports that
    /// as IncompleteInput, so the reason is Truncated (libspng used to say Corrupt); the point is that it is typed.
    /// </summary>
    [Fact]
    public void Png_with_undecodable_image_data_fails_in_the_pixel_decode()
    {
        var garbage = new byte[200];
        new Random(3).NextBytes(garbage);
        garbage[0] = 0x12;  // not a valid zlib CMF byte
        var png = Crafting.Concat(Crafting.PngSignature, Crafting.Ihdr(16, 16, 8, 2), Crafting.PngChunk("IDAT", garbage), Crafting.PngChunk("IEND", []));
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png));
        Assert.Contains(ex.Reason, new[] { ImageDecodeReason.Truncated, ImageDecodeReason.Corrupt });
        Assert.Contains("SKCodec.GetPixels", ex.Message);
    }

    [Fact]
    public void Lossless_webp_with_damaged_image_data_is_corrupt()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Noise(64, 64, 2), lossless: true);
        var rng = new Random(4);
        for (int i = 30; i < webp.Length; i++) webp[i] = (byte)rng.Next(256);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(webp));
        Assert.Equal(ImageDecodeReason.Corrupt, ex.Reason);
    }

    [Fact]
    public void Png_with_too_little_image_data_is_truncated_or_corrupt()
    {
        // A complete file whose IDAT inflates to half the rows.
        var rows = new byte[16 * 3 * 8];
        using var filtered = new MemoryStream();
        for (int y = 0; y < 8; y++)
        {
            filtered.WriteByte(0);
            filtered.Write(rows, y * 48, 48);
        }
        var png = Crafting.Concat(Crafting.PngSignature, Crafting.Ihdr(16, 16, 8, 2),
            Crafting.PngChunk("IDAT", Crafting.Zlib(filtered.ToArray())), Crafting.PngChunk("IEND", []));
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png));
        Assert.Contains(ex.Reason, new[] { ImageDecodeReason.Truncated, ImageDecodeReason.Corrupt });
    }
}
