using System.Buffers.Binary;

namespace StyleBridge.Imaging.Containers;

/// <summary>
/// Walks the JPEG marker segments from SOI up to the first SOS to find the EXIF APP1 segment ("Exif\0\0" + TIFF).
/// A file that ends inside this header is reported as truncated; anything the walk does not understand
/// (bytes that are not a marker) is left for libjpeg to judge.
/// </summary>
internal static class JpegSegments
{
    private const byte SOS = 0xDA, EOI = 0xD9, APP1 = 0xE1, TEM = 0x01;

    public static ContainerScan Scan(ReadOnlySpan<byte> data)
    {
        Range? exif = null;
        int pos = 2;    // after SOI
        while (true)
        {
            if (pos >= data.Length) return new(exif, ImageDecodeReason.Truncated, "file ends before the first scan (SOS)");
            if (data[pos] != 0xFF) return new(exif);
            while (pos < data.Length && data[pos] == 0xFF) pos++;    // fill bytes
            if (pos >= data.Length) return new(exif, ImageDecodeReason.Truncated, "file ends inside a marker");
            byte marker = data[pos++];
            if (marker == EOI) return new(exif, ImageDecodeReason.Corrupt, "EOI before any scan");
            if (marker == TEM || marker is >= 0xD0 and <= 0xD7) continue;    // no length field
            if (pos + 2 > data.Length) return new(exif, ImageDecodeReason.Truncated, "file ends inside a segment length");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2) return new(exif, ImageDecodeReason.Corrupt, $"segment 0x{marker:X2} has length {length}");
            if (pos + length > data.Length) return new(exif, ImageDecodeReason.Truncated, $"file ends inside segment 0x{marker:X2}");
            if (marker == SOS) return new(exif);
            var payload = data.Slice(pos + 2, length - 2);
            if (marker == APP1 && exif is null && payload.StartsWith("Exif\0\0"u8))
                exif = new Range(pos + 2 + 6, pos + length);
            pos += length;
        }
    }
}
