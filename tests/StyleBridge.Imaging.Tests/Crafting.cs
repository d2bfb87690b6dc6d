using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace StyleBridge.Imaging.Tests;

/// <summary>Byte-level builders for test inputs: EXIF blocks, PNG chunks, JPEG and WebP metadata injection.</summary>
internal static class Crafting
{
    // ---- EXIF (TIFF structure) ----

    /// <summary>A TIFF block with IDF0 = { ImageWidth (LONG), Make (ASCII, out of line), Orientation (SHORT) }.</summary>
    public static byte[] ExifTiff(ushort orientation, bool bigEndian = false)
    {
        var make = Encoding.ASCII.GetBytes("StyleBridgeCam\0");
        const int ifd0 = 8, entries = 3;
        int dataOffset = ifd0 + 2 + entries * 12 + 4;
        var b = new byte[dataOffset + make.Length];
        void U16(int at, int v) { if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), (ushort)v); }
        void U32(int at, int v) { if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), (uint)v); }

        b[0] = b[1] = (byte)(bigEndian ? 'M' : 'I');
        U16(2, 42);
        U32(4, ifd0);
        U16(ifd0, entries);
        int e = ifd0 + 2;
        U16(e, 0x0100); U16(e + 2, 4); U32(e + 4, 1); U32(e + 8, 4242);                         // ImageWidth LONG
        e += 12;
        U16(e, 0x010F); U16(e + 2, 2); U32(e + 4, make.Length); U32(e + 8, dataOffset);         // Make ASCII
        e += 12;
        U16(e, 0x0112); U16(e + 2, 3); U32(e + 4, 1); U16(e + 8, orientation); U16(e + 10, 0);  // Orientation SHORT
        e += 12;
        U32(e, 0);                                                                               // no IFD1
        make.CopyTo(b, dataOffset);
        return b;
    }

    // ---- JPEG ----

    /// <summary>Inserts an APP1 "Exif\0\0" segment right after SOI.</summary>
    public static byte[] InjectJpegExif(byte[] jpeg, byte[] tiff)
    {
        Assert.True(jpeg[0] == 0xFF && jpeg[1] == 0xD8);
        var payload = Concat("Exif\0\0"u8.ToArray(), tiff);
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return Concat(jpeg[..2], segment, jpeg[2..]);
    }

    /// <summary>Rewrites the frame size in the SOF0/SOF1/SOF2 segment.</summary>
    public static byte[] PatchJpegSize(byte[] jpeg, int width, int height)
    {
        var b = (byte[])jpeg.Clone();
        int sof = FindJpegSof(b);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(sof + 7), (ushort)width);
        return b;
    }

    /// <summary>Offset of the 0xFF of the SOF0/SOF1/SOF2 marker; the segment is FF Cn, length, precision, height, width, Nf, components.</summary>
    public static int FindJpegSof(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) return i;
        throw new InvalidOperationException("no SOF marker");
    }

    /// <summary>The frame's components as (id, horizontal sampling, vertical sampling).</summary>
    public static (int Id, int H, int V)[] JpegFrameComponents(byte[] jpeg)
    {
        int sof = FindJpegSof(jpeg);
        int count = jpeg[sof + 9];
        return Enumerable.Range(0, count)
            .Select(c => jpeg[sof + 10 + 3 * c + 1])
            .Select((sampling, c) => ((int)jpeg[sof + 10 + 3 * c], sampling >> 4, sampling & 0x0F))
            .ToArray();
    }

    // ---- PNG ----

    public static byte[] PngChunk(string type, ReadOnlySpan<byte> data)
    {
        var c = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(c, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(c, 4);
        data.CopyTo(c.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(8 + data.Length), Crc32.Compute(c.AsSpan(4, 4 + data.Length)));
        return c;
    }

    public static byte[] Ihdr(uint width, uint height, byte bitDepth, byte colorType)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, width);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), height);
        d[8] = bitDepth;
        d[9] = colorType;
        return PngChunk("IHDR", d);
    }

    public static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A complete PNG from raw scanlines (filter byte 0 prepended per row here), with optional extra chunks before IDAT.</summary>
    public static byte[] Png(uint width, uint height, byte bitDepth, byte colorType, byte[] rawRows, int rowBytes, params byte[][] extraChunksBeforeIdat)
    {
        using var filtered = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            filtered.WriteByte(0);
            filtered.Write(rawRows, y * rowBytes, rowBytes);
        }
        return Concat([PngSignature, Ihdr(width, height, bitDepth, colorType), .. extraChunksBeforeIdat,
            PngChunk("IDAT", Zlib(filtered.ToArray())), PngChunk("IEND", [])]);
    }

    /// <summary>Inserts chunks right after IHDR (<paramref name="beforeIend"/> false) or right before IEND.</summary>
    public static byte[] InsertPngChunk(byte[] png, byte[] chunk, bool beforeIend = false)
    {
        int at = beforeIend ? png.Length - 12 : 8 + 25;
        return Concat(png[..at], chunk, png[at..]);
    }

    public static byte[] Zlib(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    // ---- WebP ----

    /// <summary>Rewraps a simple (VP8 or VP8L) WebP as extended format: VP8X with the EXIF flag, the image chunk, an EXIF chunk.</summary>
    public static byte[] InjectWebPExif(byte[] simpleWebP, int width, int height, byte[] tiff)
    {
        Assert.Equal("VP8", Encoding.ASCII.GetString(simpleWebP, 12, 3));
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteUInt32LittleEndian(vp8x.AsSpan(4), 10);
        vp8x[8] = 0x08;     // EXIF present
        WriteU24(vp8x.AsSpan(12), width - 1);
        WriteU24(vp8x.AsSpan(15), height - 1);
        var exif = new byte[8 + tiff.Length + (tiff.Length & 1)];
        "EXIF"u8.CopyTo(exif);
        BinaryPrimitives.WriteUInt32LittleEndian(exif.AsSpan(4), (uint)tiff.Length);
        tiff.CopyTo(exif, 8);
        var body = Concat("WEBP"u8.ToArray(), vp8x, simpleWebP[12..], exif);
        var header = new byte[8];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)body.Length);
        return Concat(header, body);
    }

    /// <summary>True when a simple lossless file's VP8L header sets alpha_is_used, or an extended file's VP8X sets the alpha flag.</summary>
    public static bool WebPHasAlpha(byte[] webp)
    {
        var fourCc = Encoding.ASCII.GetString(webp, 12, 4);
        return fourCc switch
        {
            "VP8L" => (BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21)) >> 28 & 1) == 1,
            "VP8X" => (webp[20] & 0x10) != 0,
            _ => false,
        };
    }

    /// <summary>The chunk types of a PNG in file order.</summary>
    public static string[] PngChunkTypes(byte[] png)
    {
        var types = new List<string>();
        for (int pos = PngSignature.Length; pos + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            types.Add(Encoding.ASCII.GetString(png, pos + 4, 4));
            pos += 12 + length;
        }
        return types.ToArray();
    }

    private static void WriteU24(Span<byte> b, int v)
    {
        b[0] = (byte)v;
        b[1] = (byte)(v >> 8);
        b[2] = (byte)(v >> 16);
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, at);
            at += p.Length;
        }
        return all;
    }
}

/// <summary>CRC-32 (ISO-HDLC, as in PNG and zlib), reflected polynomial 0xEDB88320.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
