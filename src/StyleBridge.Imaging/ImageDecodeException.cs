namespace StyleBridge.Imaging;

public enum ImageDecodeReason
{
    /// <summary>Not PNG, JPEG or WebP (by signature), or a variant we do not decode (animated WebP, CMYK JPEG, 12-bit JPEG).</summary>
    UnsupportedFormat,

    /// <summary>Over <see cref="ImageLimits"/>: byte size, width, height, pixel count or PNG metadata memory.</summary>
    TooLarge,

    /// <summary>The stream is damaged: bad structure, CRC or entropy-coded data, or values out of range.</summary>
    Corrupt,

    /// <summary>The stream ends before the image does.</summary>
    Truncated,
}

/// <summary>Every failure to decode untrusted bytes surfaces as this exception; nothing else escapes the decoder.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(ImageDecodeReason reason, ImageFormat format, string message)
        : this(reason, format, message, null)
    {
    }

    public ImageDecodeException(ImageDecodeReason reason, ImageFormat format, string message, Exception? innerException)
        : base($"{format} decode failed ({reason}): {message}", innerException)
    {
        Reason = reason;
        Format = format;
    }

    public ImageDecodeReason Reason { get; }

    public ImageFormat Format { get; }
}

public sealed class ImageEncodeException(ImageFormat format, string message)
    : Exception($"{format} encode failed: {message}")
{
    public ImageFormat Format { get; } = format;
}
