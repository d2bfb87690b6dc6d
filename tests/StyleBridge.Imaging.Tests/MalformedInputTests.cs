using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

/// <summary>Untrusted bytes: every failure is a typed <see cref="ImageDecodeException"/>, never a crash or a huge allocation.</summary>
public class MalformedInputTests
{
    public static TheoryData<ImageFormat, bool> Codecs => new()
    {
        { ImageFormat.Png, false }, { ImageFormat.Jpeg, false }, { ImageFormat.WebP, false }, { ImageFormat.WebP, true },
    };

    private static byte[] Encode(ImageFormat format, bool lossless) =>
        ImageEncoder.Encode(TestImages.Noise(64, 48, seed: 11), format, 90, lossless);

    private static ImageDecodeException DecodeFails(ReadOnlySpan<byte> data, ImageLimits? limits = null)
    {
        try
        {
            ImageDecoder.Decode(data, limits);
        }
        catch (ImageDecodeException ex)
        {
            return ex;
        }
        throw new Xunit.Sdk.XunitException("decode unexpectedly succeeded");
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Truncated_files_are_reported_as_truncated(ImageFormat format, bool lossless)
    {
        var bytes = Encode(format, lossless);
        int[] cuts = [1, 3, 10, 20, 30, 40, 100, bytes.Length / 3, bytes.Length / 2, bytes.Length - 20, bytes.Length - 1];
        foreach (int cut in cuts)
        {
            var ex = DecodeFails(bytes.AsSpan(0, cut));
            Assert.True(ex.Reason == ImageDecodeReason.Truncated, $"{format} cut at {cut}/{bytes.Length}: {ex.Message}");
        }
    }

    [Fact]
    public void Empty_input_is_truncated()
    {
        Assert.Equal(ImageDecodeReason.Truncated, DecodeFails([]).Reason);
    }

    [Fact]
    public void Garbage_bytes_are_unsupported()
    {
        var rng = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            var garbage = new byte[rng.Next(13, 5000)];
            rng.NextBytes(garbage);
            garbage[0] = 0x00;      // make sure no random signature matches
            Assert.Equal(ImageDecodeReason.UnsupportedFormat, DecodeFails(garbage).Reason);
        }
    }

    [Theory]
    [InlineData(ImageFormat.Png)]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.WebP)]
    public void Garbage_after_a_valid_signature_is_corrupt_or_truncated(ImageFormat format)
    {
        var signature = format switch
        {
            ImageFormat.Png => Crafting.PngSignature,
            ImageFormat.Jpeg => [0xFF, 0xD8, 0xFF],
            _ => "RIFF\x00\x10\x00\x00WEBP"u8.ToArray(),
        };
        var rng = new Random(9);
        for (int i = 0; i < 20; i++)
        {
            var garbage = new byte[rng.Next(1, 3000)];
            rng.NextBytes(garbage);
            var ex = DecodeFails(Crafting.Concat(signature, garbage));
            Assert.Contains(ex.Reason, new[] { ImageDecodeReason.Corrupt, ImageDecodeReason.Truncated, ImageDecodeReason.UnsupportedFormat });
            Assert.Equal(format, ex.Format);
        }
    }

    /// <summary>Random byte corruption anywhere: decoding either succeeds with the header's size or fails with the typed exception.</summary>
    [Theory]
    [MemberData(nameof(Codecs))]
    public void Corrupted_bytes_never_escape_as_other_exceptions(ImageFormat format, bool lossless)
    {
        var bytes = Encode(format, lossless);
        var rng = new Random(1234);
        int failures = 0;
        for (int i = 0; i < 150; i++)
        {
            var damaged = (byte[])bytes.Clone();
            int flips = rng.Next(1, 6);
            for (int f = 0; f < flips; f++) damaged[rng.Next(damaged.Length)] = (byte)rng.Next(256);
            try
            {
                var image = ImageDecoder.Decode(damaged);
                Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
            }
            catch (ImageDecodeException)
            {
                failures++;
            }
        }
        Assert.True(failures > 0, "no corruption was ever detected");
    }

    [Fact]
    public void Png_with_bad_idat_crc_is_corrupt()
    {
        var png = ImageEncoder.EncodePng(TestImages.Noise(8, 8, 1));
        png[^13] ^= 0x55;   // last byte of the IDAT CRC (IEND is the final 12 bytes)
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(png).Reason);
    }

    [Fact]
    public void Animated_webp_is_unsupported()
    {
        var still = ImageEncoder.EncodeWebP(TestImages.Noise(4, 4, 2), lossless: true);
        var webp = Crafting.InjectWebPExif(still, 4, 4, Crafting.ExifTiff(1));
        webp[20] |= 0x02;   // VP8X animation flag
        Assert.Equal(ImageDecodeReason.UnsupportedFormat, DecodeFails(webp).Reason);
    }

    [Fact]
    public void Jpeg_extraneous_bytes_warning_is_accepted()
    {
        var jpeg = ImageEncoder.EncodeJpeg(TestImages.Smooth(32, 16));
        Assert.Equal(new byte[] { 0xFF, 0xE0 }, jpeg[2..4]);
        int afterApp0 = 4 + (jpeg[4] << 8 | jpeg[5]);
        var padded = Crafting.Concat(jpeg[..afterApp0], [0x00, 0x11, 0x22], jpeg[afterApp0..]);

        Assert.Equal(ImageDecoder.Decode(jpeg).Pixels, ImageDecoder.Decode(padded).Pixels);
    }

    [Fact]
    public void Jpeg_without_any_scan_is_corrupt()
    {
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }).Reason);
    }
}
