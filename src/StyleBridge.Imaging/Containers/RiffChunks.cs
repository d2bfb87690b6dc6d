using System.Buffers.Binary;

namespace StyleBridge.Imaging.Containers;

/// <summary>Canvas size and animation flag of a WebP file, from its headers alone.</summary>
internal readonly record struct WebPFeatures(int Width, int Height, bool Animated);

/// <summary>
/// The WebP RIFF container: "RIFF", little-endian size of what follows, "WEBP", then chunks (FourCC, size, payload
/// padded to even length). Reads the image size (VP8X canvas, VP8 key frame or VP8L header), finds the "EXIF" chunk
/// (extended format) and reports a file shorter than its RIFF size.
/// </summary>
internal static class RiffChunks
{
    private const int HeaderLength = 12;
    private const ImageFormat Format = ImageFormat.WebP;

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

    /// <summary>
    /// The canvas size: from VP8X in the extended format (checked against the image chunk of a still image), else from
    /// the VP8 or VP8L bitstream header. Throws <see cref="ImageDecodeException"/> when the headers are cut short or invalid.
    /// </summary>
    public static WebPFeatures ReadFeatures(ReadOnlySpan<byte> data)
    {
        long pos = HeaderLength;
        var fourCc = ChunkType(data, pos);
        if (fourCc.SequenceEqual("VP8X"u8))
        {
            var vp8x = Payload(data, pos, 10, "VP8X");
            int width = U24(vp8x[4..]) + 1, height = U24(vp8x[7..]) + 1;
            bool animated = (vp8x[0] & 0x02) != 0;
            if (animated) return new(width, height, true);

            pos = Next(data, pos);
            while (true)
            {
                fourCc = ChunkType(data, pos);
                if (fourCc.SequenceEqual("VP8 "u8) || fourCc.SequenceEqual("VP8L"u8)) break;
                pos = Next(data, pos);
            }
            var (imageWidth, imageHeight) = BitstreamSize(data, pos, fourCc);
            if (imageWidth != width || imageHeight != height)
                throw Corrupt($"VP8X canvas is {width}x{height}, the image {imageWidth}x{imageHeight}");
            return new(width, height, false);
        }
        if (fourCc.SequenceEqual("VP8 "u8) || fourCc.SequenceEqual("VP8L"u8))
        {
            var (width, height) = BitstreamSize(data, pos, fourCc);
            return new(width, height, false);
        }
        throw Corrupt("the first chunk is not VP8, VP8L or VP8X");
    }

    private static (int Width, int Height) BitstreamSize(ReadOnlySpan<byte> data, long pos, ReadOnlySpan<byte> fourCc)
    {
        if (fourCc[3] == (byte)'L')
        {
            // Signature 0x2F, then 14 bits width - 1, 14 bits height - 1, 1 alpha bit, 3 version bits (0).
            var vp8l = Payload(data, pos, 5, "VP8L");
            if (vp8l[0] != 0x2F) throw Corrupt("VP8L signature missing");
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(vp8l[1..]);
            if (bits >> 29 != 0) throw Corrupt($"VP8L version {bits >> 29}");
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }

        // 3-byte frame tag (bit 0 clear on a key frame), start code 9D 01 2A, then 14-bit width and height (+2 scale bits each).
        var vp8 = Payload(data, pos, 10, "VP8");
        if ((vp8[0] & 1) != 0) throw Corrupt("VP8 frame is not a key frame");
        if (vp8[3] != 0x9D || vp8[4] != 0x01 || vp8[5] != 0x2A) throw Corrupt("VP8 start code missing");
        int width = BinaryPrimitives.ReadUInt16LittleEndian(vp8[6..]) & 0x3FFF;
        int height = BinaryPrimitives.ReadUInt16LittleEndian(vp8[8..]) & 0x3FFF;
        if (width == 0 || height == 0) throw Corrupt($"VP8 frame size {width}x{height}");
        return (width, height);
    }

    private static ReadOnlySpan<byte> ChunkType(ReadOnlySpan<byte> data, long pos)
    {
        if (pos + 8 > data.Length) throw Truncated("file ends before the image chunk");
        return data.Slice((int)pos, 4);
    }

    /// <summary>The first <paramref name="needed"/> payload bytes of the chunk at <paramref name="pos"/>.</summary>
    private static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> data, long pos, int needed, string name)
    {
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(pos + 4)..]);
        if (size < needed) throw Corrupt($"{name} chunk is {size} bytes");
        if (pos + 8 + needed > data.Length) throw Truncated($"file ends inside the {name} header");
        return data.Slice((int)pos + 8, needed);
    }

    private static long Next(ReadOnlySpan<byte> data, long pos)
    {
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(pos + 4)..]);
        return pos + 8 + size + (size & 1);
    }

    private static int U24(ReadOnlySpan<byte> b) => b[0] | b[1] << 8 | b[2] << 16;

    private static ImageDecodeException Corrupt(string message) => new(ImageDecodeReason.Corrupt, Format, message);

    private static ImageDecodeException Truncated(string message) => new(ImageDecodeReason.Truncated, Format, message);
}
