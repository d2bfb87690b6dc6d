using SkiaSharp;
using StyleBridge.Imaging.Containers;

namespace StyleBridge.Imaging.Codecs;

/// <summary>
/// PNG: our chunk walk for the header, SkiaSharp for the pixels. Every colour type and bit depth decodes to RGB8:
/// grayscale is replicated, palette expanded, 16-bit samples reduced to 8 bits, and alpha (an alpha channel or tRNS)
/// dropped, not composited: the stored colour of a transparent pixel is kept. No gamma or ICC correction is applied.
/// </summary>
internal static class PngCodec
{
    private const ImageFormat Format = ImageFormat.Png;

    /// <summary>zlib level 6, every filter tried per row: the usual speed/size balance.</summary>
    private static readonly SKPngEncoderOptions EncoderOptions = new(SKPngEncoderFilterFlags.AllFilters, 6);

    public static StoredHeader ReadHeader(ReadOnlySpan<byte> data)
    {
        var (width, height) = PngChunks.ReadIhdr(data);
        var scan = PngChunks.Scan(data);    // problems surface after the size check, see ImageDecoder
        return new StoredHeader(width, height, scan.Orientation(data), scan);
    }

    public static RgbImage Decode(ReadOnlySpan<byte> data, StoredHeader header, ImageLimits limits)
    {
        PngMetadata.CheckBudget(data, Math.Max(0, limits.MaxMetadataBytes));
        return SkiaDecoder.Decode(data, Format, header.Width, header.Height);
    }

    /// <summary>8-bit RGB with no ancillary chunks: Skia's sBIT (which only restates the 8 significant bits) is dropped.</summary>
    public static byte[] Encode(RgbImage image) =>
        PngChunks.WithoutAncillaryChunks(SkiaEncoder.Encode(image, Format, pixmap => pixmap.Encode(EncoderOptions)));
}
