namespace StyleBridge.Imaging;

public enum ImageFormat
{
    Unknown = 0,
    Png,
    Jpeg,
    WebP,
}

public static class ImageFormats
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];
    private static ReadOnlySpan<byte> Riff => "RIFF"u8;
    private static ReadOnlySpan<byte> WebPTag => "WEBP"u8;

    /// <summary>Identifies the container from its leading bytes (the file name or a Content-Type header is never trusted).</summary>
    public static ImageFormat Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngSignature)) return ImageFormat.Png;
        if (data.StartsWith(JpegSignature)) return ImageFormat.Jpeg;
        if (data.Length >= 12 && data.StartsWith(Riff) && data.Slice(8, 4).SequenceEqual(WebPTag)) return ImageFormat.WebP;
        return ImageFormat.Unknown;
    }

    /// <summary>True when <paramref name="data"/> is a strict prefix of some signature, i.e. a file cut before its magic ended.</summary>
    internal static bool IsSignaturePrefix(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return true;
        if (data.Length < PngSignature.Length && PngSignature.StartsWith(data)) return true;
        if (data.Length < JpegSignature.Length && JpegSignature.StartsWith(data)) return true;
        if (data.Length < 12)
        {
            int riff = Math.Min(data.Length, 4);
            if (!data[..riff].SequenceEqual(Riff[..riff])) return false;
            if (data.Length <= 8) return true;
            return data[8..].SequenceEqual(WebPTag[..(data.Length - 8)]);
        }
        return false;
    }

    public static string MimeType(this ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.WebP => "image/webp",
        _ => "application/octet-stream",
    };

    public static string FileExtension(this ImageFormat format) => format switch
    {
        ImageFormat.Png => ".png",
        ImageFormat.Jpeg => ".jpg",
        ImageFormat.WebP => ".webp",
        _ => "",
    };
}
