using System.Buffers.Binary;
using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

/// <summary>Limits are enforced from the header, before the pixel buffer exists.</summary>
public class LimitsTests
{
    /// <summary>Managed bytes allocated on this thread while <paramref name="decode"/> fails with TooLarge.</summary>
    private static long AllocatedWhileRejecting(Action decode)
    {
        decode = WrapExpectingTooLarge(decode);
        decode();   // warm up (JIT, static init) so only the call itself is measured
        long before = GC.GetAllocatedBytesForCurrentThread();
        decode();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static Action WrapExpectingTooLarge(Action decode) => () =>
    {
        var ex = Assert.Throws<ImageDecodeException>(decode);
        Assert.Equal(ImageDecodeReason.TooLarge, ex.Reason);
    };

    private const long SmallAllocation = 64 * 1024;

    [Fact]
    public void Png_claiming_100000_squared_is_rejected_before_allocation()
    {
        var png = Crafting.Concat(Crafting.PngSignature, Crafting.Ihdr(100_000, 100_000, 8, 2),
            Crafting.PngChunk("IDAT", Crafting.Zlib(new byte[100])), Crafting.PngChunk("IEND", []));
        Assert.InRange(AllocatedWhileRejecting(() => ImageDecoder.Decode(png)), 0, SmallAllocation);
    }

    [Fact]
    public void Png_header_alone_claiming_huge_size_is_too_large_not_truncated()
    {
        var png = Crafting.Concat(Crafting.PngSignature, Crafting.Ihdr(100_000, 100_000, 8, 2));
        Assert.Equal(ImageDecodeReason.TooLarge, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png)).Reason);
    }

    [Fact]
    public void Png_decompression_bomb_is_rejected_by_pixel_count()
    {
        // A valid, tiny file that would inflate to 25 MB of gray pixels.
        const int side = 5000;
        var png = Crafting.Png(side, side, 8, 0, new byte[side * side], side);
        Assert.True(png.Length < 100_000);
        var limits = new ImageLimits { MaxPixels = 10_000_000 };
        Assert.InRange(AllocatedWhileRejecting(() => ImageDecoder.Decode(png, limits)), 0, SmallAllocation);
    }

    [Theory]
    [InlineData(60000, 60000)]  // every limit
    [InlineData(8000, 8000)]    // sides fine, 64 Mpx over 40 Mpx
    [InlineData(9000, 100)]     // width only
    [InlineData(100, 9000)]     // height only
    public void Jpeg_header_claiming_huge_size_is_rejected_before_allocation(int width, int height)
    {
        var jpeg = Crafting.PatchJpegSize(ImageEncoder.EncodeJpeg(TestImages.Smooth(16, 16)), width, height);
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, width, height, ExifOrientation.TopLeft), ImageDecoder.Identify(jpeg));
        Assert.InRange(AllocatedWhileRejecting(() => ImageDecoder.Decode(jpeg)), 0, SmallAllocation);
    }

    [Fact]
    public void Webp_lossless_header_claiming_huge_size_is_rejected_before_allocation()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Smooth(16, 16), lossless: true);
        Assert.Equal("VP8L"u8.ToArray(), webp[12..16]);
        // VP8L header at 21: 14 bits width-1, 14 bits height-1, alpha bit, 3 version bits.
        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21));
        bits = (bits & 0xF000_0000u) | 16383u | (16383u << 14);
        BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(21), bits);

        Assert.Equal((16384, 16384), (ImageDecoder.Identify(webp).Width, ImageDecoder.Identify(webp).Height));
        Assert.InRange(AllocatedWhileRejecting(() => ImageDecoder.Decode(webp)), 0, SmallAllocation);
    }

    [Fact]
    public void Webp_lossy_header_claiming_huge_size_is_rejected_before_allocation()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Smooth(16, 16), 80);
        Assert.Equal("VP8 "u8.ToArray(), webp[12..16]);
        // VP8 key frame at 20: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height (+2 scale bits each).
        Assert.Equal(new byte[] { 0x9D, 0x01, 0x2A }, webp[23..26]);
        BinaryPrimitives.WriteUInt16LittleEndian(webp.AsSpan(26), 16383);
        BinaryPrimitives.WriteUInt16LittleEndian(webp.AsSpan(28), 16383);

        Assert.InRange(AllocatedWhileRejecting(() => ImageDecoder.Decode(webp)), 0, SmallAllocation);
    }

    [Fact]
    public void Over_limit_byte_size_is_rejected_first()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(64, 64, 3));
        var limits = new ImageLimits { MaxBytes = png.Length - 1 };
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, limits));
        Assert.Equal((ImageDecodeReason.TooLarge, ImageFormat.Png), (ex.Reason, ex.Format));
        Assert.Equal(64, ImageDecoder.Decode(png, new ImageLimits { MaxBytes = png.Length }).Width);
    }

    [Fact]
    public void Default_byte_limit_is_20_MiB()
    {
        var big = new byte[20 * 1024 * 1024 + 1];
        Crafting.PngSignature.CopyTo(big, 0);
        Assert.Equal(ImageDecodeReason.TooLarge, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(big)).Reason);
    }

    [Fact]
    public async Task DecodeAsync_stops_reading_past_the_byte_limit()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(64, 64, 3));
        using var stream = new MemoryStream(png);
        var ex = await Assert.ThrowsAsync<ImageDecodeException>(() => ImageDecoder.DecodeAsync(stream, new ImageLimits { MaxBytes = 1000 }));
        Assert.Equal((ImageDecodeReason.TooLarge, ImageFormat.Png), (ex.Reason, ex.Format));
    }

    [Fact]
    public void Side_and_pixel_limits_are_inclusive()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(30, 20, 4));
        Assert.Equal(30, ImageDecoder.Decode(png, new ImageLimits { MaxWidth = 30, MaxHeight = 20, MaxPixels = 600 }).Width);
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxWidth = 29 }));
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxHeight = 19 }));
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxPixels = 599 }));
    }

    [Fact]
    public void Side_limits_apply_to_the_displayed_orientation()
    {
        // Stored 30x20, displayed 20x30 after orientation 6.
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(TestImages.Noise(30, 20, 4)), Crafting.PngChunk("eXIf", Crafting.ExifTiff(6)));
        var limits = new ImageLimits { MaxWidth = 20, MaxHeight = 30 };
        var decoded = ImageDecoder.Decode(png, limits);
        Assert.Equal((20, 30), (decoded.Width, decoded.Height));
        Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxWidth = 30, MaxHeight = 20 }));
    }

    [Fact]
    public void Png_text_chunk_over_metadata_limit_is_rejected()
    {
        var text = Crafting.PngChunk("tEXt", Crafting.Concat("Comment\0"u8.ToArray(), new byte[64 * 1024]));
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(TestImages.Noise(4, 4, 5)), text);
        Assert.Equal(4, ImageDecoder.Decode(png).Width);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(png, new ImageLimits { MaxMetadataBytes = 16 * 1024 }));
        Assert.True(ex.Reason == ImageDecodeReason.TooLarge, ex.Message);
    }

    [Fact]
    public void Metadata_limit_does_not_apply_to_image_data()
    {
        var image = TestImages.Noise(128, 128, 6);
        var png = ImageEncoder.EncodePng(image);
        Assert.True(png.Length > 40_000);
        Assert.Equal(image.Pixels, ImageDecoder.Decode(png, new ImageLimits { MaxMetadataBytes = 4096 }).Pixels);
    }
}
