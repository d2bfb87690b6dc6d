using System.Buffers.Binary;
using StyleBridge.Imaging;
using StyleBridge.Imaging.Containers;

namespace StyleBridge.Imaging.Tests;

/// <summary>Our own header parse: what it accepts, refuses and reports before any pixel decode.</summary>
public class HeaderTests
{
    private static ImageDecodeException DecodeFails(byte[] data) => Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data));

    private static byte[] Jpeg() => ImageEncoder.EncodeJpeg(TestImages.Smooth(32, 16));

    [Theory]
    [InlineData(4, 12, ImageDecodeReason.UnsupportedFormat)]     // precision: 12-bit samples
    [InlineData(9, 4, ImageDecodeReason.UnsupportedFormat)]      // Nf: CMYK / YCCK
    [InlineData(9, 2, ImageDecodeReason.UnsupportedFormat)]
    [InlineData(1, 0xC3, ImageDecodeReason.UnsupportedFormat)]   // SOF3: lossless
    [InlineData(1, 0xC5, ImageDecodeReason.UnsupportedFormat)]   // SOF5: hierarchical
    [InlineData(5, 0, ImageDecodeReason.Corrupt)]                // height high byte ...
    public void Jpeg_frame_header_fields_are_checked(int offset, byte value, ImageDecodeReason reason)
    {
        var jpeg = Jpeg();
        int sof = Crafting.FindJpegSof(jpeg);
        jpeg[sof + offset] = value;
        if (offset == 5) jpeg[sof + 6] = 0;   // ... and low byte: height 0 (defined later by DNL, which we do not support)
        var ex = DecodeFails(jpeg);
        Assert.Equal(reason, ex.Reason);
    }

    [Fact]
    public void Jpeg_without_a_frame_header_is_corrupt()
    {
        var jpeg = Jpeg();
        int sof = Crafting.FindJpegSof(jpeg);
        int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(sof + 2));
        var noSof = Crafting.Concat(jpeg[..sof], jpeg[(sof + 2 + length)..]);
        var ex = DecodeFails(noSof);
        Assert.Equal(ImageDecodeReason.Corrupt, ex.Reason);
        Assert.Contains("SOF", ex.Message);
    }

    [Fact]
    public void Jpeg_without_eoi_is_truncated_and_bytes_after_eoi_are_ignored()
    {
        var jpeg = Jpeg();
        Assert.Equal(new byte[] { 0xFF, 0xD9 }, jpeg[^2..]);
        Assert.Equal(ImageDecodeReason.Truncated, DecodeFails(jpeg[..^2]).Reason);
        var trailing = Crafting.Concat(jpeg, [0x00, 0xFF, 0x12, 0x34]);
        Assert.Equal(ImageDecoder.Decode(jpeg).Pixels, ImageDecoder.Decode(trailing).Pixels);
    }

    /// <summary>A progressive-style layout (segments between scans, stuffed bytes, restart markers) that Skia's encoder never writes.</summary>
    [Fact]
    public void Jpeg_walk_crosses_several_scans_to_eoi()
    {
        byte[] sof2 = [0xFF, 0xC2, 0, 11, 8, 0, 20, 0, 30, 1, 1, 0x11, 0];
        byte[] dht = [0xFF, 0xC4, 0, 4, 0xAA, 0xBB];
        byte[] sos = [0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0];
        byte[] entropy = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0x78];
        byte[] eoi = [0xFF, 0xD9];
        var stream = Crafting.Concat([0xFF, 0xD8], sof2, dht, sos, entropy, dht, sos, entropy, eoi);

        var scan = JpegSegments.Scan(stream, out var frame);
        Assert.Null(scan.Problem);
        Assert.Equal(new JpegFrame(0xC2, 8, 30, 20, 1), frame);

        JpegSegments.Scan(stream[..^2], out _).ThrowIfProblemIsNot(ImageDecodeReason.Truncated);
        JpegSegments.Scan(stream[..^20], out _).ThrowIfProblemIsNot(ImageDecodeReason.Truncated);
        var foreignMarker = Crafting.Concat([0xFF, 0xD8], sof2, sos, entropy, sof2, eoi);   // a frame header after a scan
        JpegSegments.Scan(foreignMarker, out _).ThrowIfProblemIsNot(ImageDecodeReason.Corrupt);
    }

    [Fact]
    public void Webp_canvas_must_match_the_image_chunk()
    {
        var still = ImageEncoder.EncodeWebP(TestImages.Smooth(6, 4), lossless: true);
        var webp = Crafting.InjectWebPExif(still, 7, 4, Crafting.ExifTiff(1));
        var ex = DecodeFails(webp);
        Assert.Equal(ImageDecodeReason.Corrupt, ex.Reason);
        Assert.Contains("canvas", ex.Message);
    }

    [Fact]
    public void Webp_with_an_unknown_first_chunk_is_corrupt()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Smooth(6, 4), lossless: true);
        "ABCD"u8.CopyTo(webp.AsSpan(12));
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(webp).Reason);
    }

    [Fact]
    public void Webp_lossless_version_and_signature_are_checked()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Smooth(6, 4), lossless: true);
        var badVersion = (byte[])webp.Clone();
        badVersion[24] |= 0x20;     // version bits 29..31 of the 32-bit header field at 21
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(badVersion).Reason);
        var badSignature = (byte[])webp.Clone();
        badSignature[20] = 0x2E;
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(badSignature).Reason);
    }

    [Fact]
    public void Webp_lossy_key_frame_start_code_is_checked()
    {
        var webp = ImageEncoder.EncodeWebP(TestImages.Smooth(16, 16), 80);
        webp[24] = 0x00;    // start code 9D 01 2A at 23
        Assert.Equal(ImageDecodeReason.Corrupt, DecodeFails(webp).Reason);
    }

    [Fact]
    public void Webp_cut_inside_the_extended_header_is_truncated()
    {
        var still = ImageEncoder.EncodeWebP(TestImages.Smooth(6, 4), lossless: true);
        var webp = Crafting.InjectWebPExif(still, 6, 4, Crafting.ExifTiff(1));
        foreach (int cut in new[] { 16, 24, 30, 34 })
        {
            var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Identify(webp.AsSpan(0, cut)));
            Assert.True(ex.Reason == ImageDecodeReason.Truncated, $"cut at {cut}: {ex.Message}");
        }
    }

    [Fact]
    public void Lossy_webp_in_the_extended_format_reads_size_and_orientation()
    {
        var simple = ImageEncoder.EncodeWebP(TestImages.Unique(48, 32), 95);
        var webp = Crafting.InjectWebPExif(simple, 48, 32, Crafting.ExifTiff(8));
        Assert.Equal(new ImageInfo(ImageFormat.WebP, 32, 48, ExifOrientation.LeftBottom), ImageDecoder.Identify(webp));
        // The same lossy bitstream, so the pixels must match exactly once turned.
        var stored = ImageDecoder.Decode(simple);
        Assert.Equal(TestImages.Rotate90CounterClockwise(stored).Pixels, ImageDecoder.Decode(webp).Pixels);
    }
}

internal static class ContainerScanAssertions
{
    public static void ThrowIfProblemIsNot(this ContainerScan scan, ImageDecodeReason expected) =>
        Assert.True(scan.Problem == expected, $"expected {expected}, got {scan.Problem?.ToString() ?? "no problem"}: {scan.ProblemMessage}");
}
