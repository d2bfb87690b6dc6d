using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

/// <summary>
/// The expected display is computed from the stored image with the operations the EXIF/TIFF spec names for each
/// value (written independently in <see cref="TestImages"/>), then compared with what the decoder returns.
/// </summary>
public class OrientationTests
{
    public static TheoryData<ushort> AllOrientations => [1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>What a viewer does to the stored image to display it.</summary>
    private static RgbImage Display(RgbImage stored, ushort orientation) => orientation switch
    {
        1 => stored,
        2 => TestImages.FlipHorizontal(stored),
        3 => TestImages.Rotate180(stored),
        4 => TestImages.FlipVertical(stored),
        5 => TestImages.Rotate90CounterClockwise(TestImages.FlipHorizontal(stored)),  // mirror, then rotate 270° CW
        6 => TestImages.Rotate90Clockwise(stored),
        7 => TestImages.Rotate90Clockwise(TestImages.FlipHorizontal(stored)),         // mirror, then rotate 90° CW
        8 => TestImages.Rotate90CounterClockwise(stored),
        _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
    };

    [Theory]
    [MemberData(nameof(AllOrientations))]
    public void Jpeg_app1_orientation_is_applied(ushort orientation)
    {
        // 16-pixel solid blocks on the 8x8 DCT grid survive JPEG almost exactly, so the layout check can be strict.
        var stored = TestImages.Blocks(cols: 3, rows: 2, block: 16);
        var jpeg = ImageEncoder.EncodeJpeg(stored, 95, ChromaSubsampling.Yuv444);
        var withExif = Crafting.InjectJpegExif(jpeg, Crafting.ExifTiff(orientation));

        var decoded = ImageDecoder.Decode(withExif);
        var expected = Display(stored, orientation);
        Assert.Equal((expected.Width, expected.Height), (decoded.Width, decoded.Height));
        Assert.InRange(TestImages.MaxAbsDiff(expected, decoded), 0, 4);
    }

    [Theory]
    [MemberData(nameof(AllOrientations))]
    public void Png_exif_orientation_is_applied_exactly(ushort orientation)
    {
        var stored = TestImages.Unique(7, 4);
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(stored), Crafting.PngChunk("eXIf", Crafting.ExifTiff(orientation)));

        Assert.Equal(Display(stored, orientation).Pixels, ImageDecoder.Decode(png).Pixels);
    }

    [Theory]
    [MemberData(nameof(AllOrientations))]
    public void Webp_exif_chunk_orientation_is_applied_exactly(ushort orientation)
    {
        var stored = TestImages.Unique(5, 3);
        var webp = Crafting.InjectWebPExif(ImageEncoder.EncodeWebP(stored, lossless: true), 5, 3, Crafting.ExifTiff(orientation));

        var decoded = ImageDecoder.Decode(webp);
        var expected = Display(stored, orientation);
        Assert.Equal((expected.Width, expected.Height), (decoded.Width, decoded.Height));
        Assert.Equal(expected.Pixels, decoded.Pixels);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void Big_endian_exif_is_read(ushort orientation)
    {
        var stored = TestImages.Unique(6, 3);
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(stored), Crafting.PngChunk("eXIf", Crafting.ExifTiff(orientation, bigEndian: true)));
        Assert.Equal(Display(stored, orientation).Pixels, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Png_exif_after_idat_is_read()
    {
        var stored = TestImages.Unique(6, 3);
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(stored), Crafting.PngChunk("eXIf", Crafting.ExifTiff(8)), beforeIend: true);
        Assert.Equal(Display(stored, 8).Pixels, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Identify_reports_displayed_size()
    {
        var stored = TestImages.Blocks(3, 2, 16);
        var jpeg = Crafting.InjectJpegExif(ImageEncoder.EncodeJpeg(stored), Crafting.ExifTiff(6));
        Assert.Equal(new ImageInfo(ImageFormat.Jpeg, 32, 48, ExifOrientation.RightTop), ImageDecoder.Identify(jpeg));
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)9)]
    [InlineData((ushort)0xFFFF)]
    public void Out_of_range_orientation_is_ignored(ushort orientation)
    {
        var stored = TestImages.Unique(4, 3);
        var png = Crafting.InsertPngChunk(ImageEncoder.EncodePng(stored), Crafting.PngChunk("eXIf", Crafting.ExifTiff(orientation)));
        Assert.Equal(stored.Pixels, ImageDecoder.Decode(png).Pixels);
    }

    [Fact]
    public void Malformed_exif_in_jpeg_is_ignored()
    {
        var stored = TestImages.Blocks(2, 1, 16);
        var tiff = Crafting.ExifTiff(6);
        tiff[4] = 0xF0;     // IFD0 offset far past the block
        var jpeg = Crafting.InjectJpegExif(ImageEncoder.EncodeJpeg(stored, 95, ChromaSubsampling.Yuv444), tiff);
        var decoded = ImageDecoder.Decode(jpeg);
        Assert.Equal((32, 16), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Exif_reader_finds_orientation_after_other_tags_and_skips_exif_prefix()
    {
        var tiff = Crafting.ExifTiff(5);
        Assert.Equal(ExifOrientation.LeftTop, Exif.ExifReader.ReadOrientation(tiff));
        Assert.Equal(ExifOrientation.LeftTop, Exif.ExifReader.ReadOrientation(Crafting.Concat("Exif\0\0"u8.ToArray(), tiff)));
        Assert.Equal(ExifOrientation.TopLeft, Exif.ExifReader.ReadOrientation(tiff.AsSpan(0, 20)));
        Assert.Equal(ExifOrientation.TopLeft, Exif.ExifReader.ReadOrientation([]));
    }

    [Fact]
    public void Png_with_exif_prefixed_or_garbage_exif_still_decodes()
    {
        var stored = TestImages.Unique(4, 3);
        var png = ImageEncoder.EncodePng(stored);

        var prefixed = Crafting.InsertPngChunk(png, Crafting.PngChunk("eXIf", Crafting.Concat("Exif\0\0"u8.ToArray(), Crafting.ExifTiff(3))));
        Assert.Equal(Display(stored, 3).Pixels, ImageDecoder.Decode(prefixed).Pixels);

        var garbage = Crafting.InsertPngChunk(png, Crafting.PngChunk("eXIf", [1, 2, 3, 4, 5, 6, 7, 8, 9]));
        Assert.Equal(stored.Pixels, ImageDecoder.Decode(garbage).Pixels);
    }
}
