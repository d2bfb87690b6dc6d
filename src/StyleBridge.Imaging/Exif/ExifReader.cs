using System.Buffers.Binary;

namespace StyleBridge.Imaging.Exif;

/// <summary>
/// Reads the orientation tag from a TIFF-structured EXIF block (byte-order mark "II"/"MM", 42, offset of IFD0).
/// Malformed or missing EXIF never fails a decode: it reads as <see cref="ExifOrientation.TopLeft"/>.
/// </summary>
internal static class ExifReader
{
    private const ushort OrientationTag = 0x0112;
    private const ushort TypeShort = 3;
    private const int IfdEntrySize = 12;

    /// <summary>The APP1 / eXIf / WebP "EXIF" payload; a leading "Exif\0\0" (JPEG-style) is skipped if a writer left it in.</summary>
    public static ExifOrientation ReadOrientation(ReadOnlySpan<byte> exif)
    {
        if (exif.StartsWith("Exif\0\0"u8)) exif = exif[6..];
        if (exif.Length < 8) return ExifOrientation.TopLeft;

        bool little;
        if (exif[0] == (byte)'I' && exif[1] == (byte)'I') little = true;
        else if (exif[0] == (byte)'M' && exif[1] == (byte)'M') little = false;
        else return ExifOrientation.TopLeft;

        if (U16(exif[2..], little) != 42) return ExifOrientation.TopLeft;
        uint ifd0 = U32(exif[4..], little);
        if (ifd0 < 8 || ifd0 > exif.Length - 2L) return ExifOrientation.TopLeft;

        var ifd = exif[(int)ifd0..];
        int count = U16(ifd, little);
        var entries = ifd[2..];
        for (int i = 0; i < count && (i + 1) * IfdEntrySize <= entries.Length; i++)
        {
            var entry = entries.Slice(i * IfdEntrySize, IfdEntrySize);
            if (U16(entry, little) != OrientationTag) continue;
            if (U16(entry[2..], little) != TypeShort || U32(entry[4..], little) < 1) return ExifOrientation.TopLeft;
            // A single SHORT is stored left-justified in the 4-byte value field.
            ushort value = U16(entry[8..], little);
            return value is >= 1 and <= 8 ? (ExifOrientation)value : ExifOrientation.TopLeft;
        }
        return ExifOrientation.TopLeft;
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

    private static uint U32(ReadOnlySpan<byte> b, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
}
