using System.Buffers.Binary;

namespace StyleBridge.Imaging.Containers;

/// <summary>
/// The WebP RIFF container: "RIFF", little-endian size of what follows, "WEBP", then chunks (FourCC, size, payload
/// padded to even length). Finds the "EXIF" chunk (extended format) and reports a file shorter than its RIFF size.
/// </summary>
internal static class RiffChunks
{
    private const int HeaderLength = 12;

    public static ContainerScan Scan(ReadOnlySpan<byte> data)
    {
        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        long fileEnd = 8L + riffSize;
        if (riffSize < 4 + 8) return new(null, ImageDecodeReason.Corrupt, $"RIFF size {riffSize} is too small");
        ImageDecodeReason? problem = null;
        string? message = null;
        if (fileEnd > data.Length)
        {
            problem = ImageDecodeReason.Truncated;
            message = $"RIFF size says {fileEnd} bytes, file has {data.Length}";
            fileEnd = data.Length;
        }

        Range? exif = null;
        long pos = HeaderLength;
        while (pos + 8 <= fileEnd)
        {
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(pos + 4)..]);
            long end = pos + 8 + size;
            if (end > fileEnd) break;
            if (exif is null && data.Slice((int)pos, 4).SequenceEqual("EXIF"u8)) exif = new Range((int)pos + 8, (int)end);
            pos = end + (size & 1);
        }
        return new(exif, problem, message);
    }
}
