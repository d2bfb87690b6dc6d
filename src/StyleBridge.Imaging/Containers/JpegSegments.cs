using System.Buffers.Binary;

namespace StyleBridge.Imaging.Containers;

/// <summary>The frame header (SOFn): what the codec will be asked to decode.</summary>
internal readonly record struct JpegFrame(byte Marker, int Precision, int Width, int Height, int Components)
{
    /// <summary>Baseline, extended and progressive Huffman or arithmetic DCT; lossless and hierarchical processes are not.</summary>
    public bool IsSequentialOrProgressiveDct => Marker is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA;
}

/// <summary>
/// Walks the whole JPEG marker structure: the header segments up to the first SOS (for the frame header and the EXIF
/// APP1 segment, "Exif\0\0" + TIFF), then the entropy-coded data and the segments between scans up to EOI.
/// A file that ends before EOI is reported as truncated. Bytes that are not a marker where one is expected are skipped,
/// as libjpeg does ("extraneous bytes before marker").
/// </summary>
internal static class JpegSegments
{
    private const byte SOS = 0xDA, EOI = 0xD9, APP1 = 0xE1, TEM = 0x01, DHT = 0xC4, JPG = 0xC8, DAC = 0xCC;

    public static ContainerScan Scan(ReadOnlySpan<byte> data, out JpegFrame? frame)
    {
        frame = null;
        Range? exif = null;
        bool inScans = false;
        int pos = 2;    // after SOI
        while (true)
        {
            pos = NextMarker(data, pos, inScans);
            if (pos >= data.Length)
                return new(exif, ImageDecodeReason.Truncated, inScans ? "file ends before EOI" : "file ends before the first scan (SOS)");
            byte marker = data[pos++];
            if (marker == EOI)
                return inScans ? new(exif) : new(exif, ImageDecodeReason.Corrupt, "EOI before any scan");
            if (marker == TEM || marker is >= 0xD0 and <= 0xD7) continue;    // no length field
            if (inScans && !MayFollowAScan(marker))
                return new(exif, ImageDecodeReason.Corrupt, $"marker 0x{marker:X2} after the first scan");
            if (pos + 2 > data.Length) return new(exif, ImageDecodeReason.Truncated, "file ends inside a segment length");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) return new(exif, ImageDecodeReason.Corrupt, $"segment 0x{marker:X2} has length {length}");
            if (pos + length > data.Length) return new(exif, ImageDecodeReason.Truncated, $"file ends inside segment 0x{marker:X2}");
            var payload = data.Slice(pos + 2, length - 2);
            if (marker == APP1 && exif is null && payload.StartsWith("Exif\0\0"u8))
                exif = new Range(pos + 2 + 6, pos + length);
            if (IsFrameHeader(marker) && frame is null)
            {
                if (payload.Length < 6) return new(exif, ImageDecodeReason.Corrupt, $"frame header 0x{marker:X2} is {payload.Length} bytes");
                frame = new JpegFrame(marker, payload[0], BinaryPrimitives.ReadUInt16BigEndian(payload[3..]),
                    BinaryPrimitives.ReadUInt16BigEndian(payload[1..]), payload[5]);
            }
            if (marker == SOS) inScans = true;
            pos += length;
        }
    }

    /// <summary>
    /// Position of the marker code (the byte after 0xFF and any fill bytes), or <c>data.Length</c>. In entropy-coded data
    /// 0xFF00 is a stuffed data byte and RSTn markers are part of the scan; between segments anything but 0xFF is skipped.
    /// </summary>
    private static int NextMarker(ReadOnlySpan<byte> data, int pos, bool inScans)
    {
        while (true)
        {
            int ff = pos < data.Length ? data[pos..].IndexOf((byte)0xFF) : -1;
            if (ff < 0) return data.Length;
            pos += ff;
            while (pos < data.Length && data[pos] == 0xFF) pos++;
            if (pos >= data.Length) return data.Length;
            byte code = data[pos];
            bool partOfScan = code == 0x00 || (inScans && code is >= 0xD0 and <= 0xD7);
            if (!partOfScan) return pos;
            pos++;
        }
    }

    private static bool IsFrameHeader(byte marker) => marker is >= 0xC0 and <= 0xCF && marker is not (DHT or JPG or DAC);

    /// <summary>Segments a multi-scan (progressive) stream may carry between scans.</summary>
    private static bool MayFollowAScan(byte marker) =>
        marker is SOS or DHT or DAC or 0xDB or 0xDC or 0xDD or 0xFE || marker is >= 0xE0 and <= 0xEF;
}
