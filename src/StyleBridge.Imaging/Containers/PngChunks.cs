using System.Buffers.Binary;

namespace StyleBridge.Imaging.Containers;

/// <summary>
/// The PNG chunk sequence: signature, IHDR first, ..., IEND. Reads IHDR's dimensions, finds eXIf (before or after IDAT),
/// and reports a file cut short (no IEND, or a chunk running past the end). CRCs and pixel data are the codec's job.
/// </summary>
internal static class PngChunks
{
    private const int SignatureLength = 8;
    private const uint MaxChunkLength = int.MaxValue;   // PNG spec: lengths are at most 2^31 - 1

    /// <summary>Width and height from IHDR, or the reason they cannot be read.</summary>
    public static (int Width, int Height) ReadIhdr(ReadOnlySpan<byte> data)
    {
        if (data.Length < SignatureLength + 8 + 13) throw new ImageDecodeException(ImageDecodeReason.Truncated, ImageFormat.Png, "file ends inside IHDR");
        var chunk = data[SignatureLength..];
        if (BinaryPrimitives.ReadUInt32BigEndian(chunk) != 13 || !chunk.Slice(4, 4).SequenceEqual("IHDR"u8))
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, ImageFormat.Png, "first chunk is not a 13-byte IHDR");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(chunk[8..]);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(chunk[12..]);
        if (width == 0 || height == 0 || width > MaxChunkLength || height > MaxChunkLength)
            throw new ImageDecodeException(ImageDecodeReason.Corrupt, ImageFormat.Png, $"IHDR dimensions {width}x{height} are invalid");
        return ((int)width, (int)height);
    }

    public static ContainerScan Scan(ReadOnlySpan<byte> data)
    {
        Range? exif = null;
        long pos = SignatureLength;
        while (true)
        {
            if (pos + 8 > data.Length) return new(exif, ImageDecodeReason.Truncated, "file ends before IEND");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            var type = data.Slice((int)pos + 4, 4);
            if (length > MaxChunkLength) return new(exif, ImageDecodeReason.Corrupt, $"chunk length {length} exceeds 2^31-1");
            long end = pos + 12 + length;
            if (end > data.Length) return new(exif, ImageDecodeReason.Truncated, $"file ends inside chunk '{Name(type)}'");
            if (type.SequenceEqual("IEND"u8)) return new(exif);
            if (exif is null && type.SequenceEqual("eXIf"u8)) exif = new Range((int)pos + 8, (int)pos + 8 + (int)length);
            pos = end;
        }
    }

    /// <summary>A copy of an encoder's output without its ancillary chunks; the critical ones (IHDR, PLTE, IDAT, IEND) are kept as they are.</summary>
    public static byte[] WithoutAncillaryChunks(ReadOnlySpan<byte> png)
    {
        var kept = new List<Range>();
        int size = SignatureLength;
        for (int pos = SignatureLength; pos + 12 <= png.Length;)
        {
            int end = pos + 12 + (int)BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if ((png[pos + 4] & 0x20) == 0)
            {
                kept.Add(pos..end);
                size += end - pos;
            }
            pos = end;
        }

        var result = new byte[size];
        png[..SignatureLength].CopyTo(result);
        int at = SignatureLength;
        foreach (var chunk in kept)
        {
            png[chunk].CopyTo(result.AsSpan(at));
            at += chunk.GetOffsetAndLength(png.Length).Length;
        }
        return result;
    }

    private static string Name(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++) chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(chars);
    }
}
