namespace StyleBridge.Imaging;

/// <summary>
/// Bounds checked before any pixel buffer is allocated: the encoded size first, then the dimensions read from the
/// header (as displayed, i.e. after the EXIF orientation swaps them). Bind from configuration; the service's stricter
/// request limits (docs/api.md §4.7) are set there.
/// </summary>
public sealed class ImageLimits
{
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest encoded input, in bytes.</summary>
    public long MaxBytes { get; init; } = 20L * 1024 * 1024;

    public int MaxWidth { get; init; } = 8192;

    public int MaxHeight { get; init; } = 8192;

    /// <summary>Largest width x height; the decoded RGB buffer is 3 bytes per pixel.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>
    /// Largest total size of the ancillary PNG chunks (text, ICC profile, EXIF, unknown chunks), counting zTXt, iTXt and
    /// iCCP payloads as inflated, so a compressed text chunk cannot act as a bomb either. Image data (IDAT) is not counted.
    /// </summary>
    public long MaxMetadataBytes { get; init; } = 8L * 1024 * 1024;

    internal void CheckByteSize(long length, ImageFormat format)
    {
        if (length > MaxBytes)
            throw new ImageDecodeException(ImageDecodeReason.TooLarge, format, $"encoded image is {length} bytes, limit {MaxBytes}");
    }

    internal void CheckDimensions(int width, int height, ImageFormat format)
    {
        if (width > MaxWidth || height > MaxHeight || (long)width * height > MaxPixels)
            throw new ImageDecodeException(ImageDecodeReason.TooLarge, format,
                $"image is {width}x{height}, limits {MaxWidth}x{MaxHeight} and {MaxPixels} pixels");
    }
}
