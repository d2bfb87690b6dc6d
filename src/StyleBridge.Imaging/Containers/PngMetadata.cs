using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace StyleBridge.Imaging.Containers;

/// <summary>
/// Measures the ancillary PNG chunks (text, ICC profile, EXIF, unknown chunks) against
/// <see cref="ImageLimits.MaxMetadataBytes"/>. Compressed payloads (zTXt, compressed iTXt, iCCP) count with their
/// inflated size, measured by streaming through a small buffer, so a compressed chunk cannot act as a bomb either.
/// </summary>
internal static class PngMetadata
{
    private const int SignatureLength = 8;

    /// <summary>Throws <see cref="ImageDecodeReason.TooLarge"/> once the ancillary chunks hold more than <paramref name="budget"/> bytes.</summary>
    public static void CheckBudget(ReadOnlySpan<byte> data, long budget)
    {
        long used = 0;
        long pos = SignatureLength;
        while (pos + 12 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[(int)pos..]);
            var type = data.Slice((int)pos + 4, 4);
            if (pos + 12 + length > data.Length || type.SequenceEqual("IEND"u8)) return;
            bool ancillary = (type[0] & 0x20) != 0;
            if (ancillary)
            {
                var payload = data.Slice((int)pos + 8, (int)length);
                used += Size(type, payload, budget - used);
                if (used > budget)
                    throw new ImageDecodeException(ImageDecodeReason.TooLarge, ImageFormat.Png,
                        $"ancillary chunks hold over {budget} bytes (limit MaxMetadataBytes)");
            }
            pos += 12 + length;
        }
    }

    /// <summary>The chunk's size once decoded, counted up to <paramref name="remaining"/> + 1.</summary>
    private static long Size(ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload, long remaining)
    {
        int compressedAt = CompressedPayloadOffset(type, payload);
        if (compressedAt < 0) return payload.Length;
        return compressedAt + InflatedSize(payload[compressedAt..], remaining - compressedAt);
    }

    /// <summary>Where the zlib stream starts, or -1 when the chunk is stored uncompressed.</summary>
    private static int CompressedPayloadOffset(ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload)
    {
        int keywordEnd = payload.IndexOf((byte)0);
        if (keywordEnd < 0) return -1;
        // zTXt and iCCP: keyword/name, NUL, compression method, zlib stream.
        if (type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iCCP"u8)) return keywordEnd + 2;
        if (!type.SequenceEqual("iTXt"u8)) return -1;
        // iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, text.
        int flag = keywordEnd + 1;
        if (flag + 1 >= payload.Length || payload[flag] == 0) return -1;
        int languageEnd = payload[(flag + 2)..].IndexOf((byte)0);
        if (languageEnd < 0) return -1;
        int translatedStart = flag + 2 + languageEnd + 1;
        int translatedEnd = payload[translatedStart..].IndexOf((byte)0);
        return translatedEnd < 0 ? -1 : translatedStart + translatedEnd + 1;
    }

    /// <summary>Inflates into a scratch buffer and counts, stopping past <paramref name="limit"/>; a damaged stream counts what it yielded.</summary>
    private static unsafe long InflatedSize(ReadOnlySpan<byte> zlib, long limit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        long total = 0;
        try
        {
            fixed (byte* p = zlib)
            {
                using var source = new UnmanagedMemoryStream(p, zlib.Length);
                using var inflater = new ZLibStream(source, CompressionMode.Decompress);
                int read;
                while (total <= limit && (read = inflater.Read(buffer)) > 0) total += read;
            }
        }
        catch (InvalidDataException)
        {
            // libpng drops an ancillary chunk it cannot inflate; what was inflated so far still counts.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return total;
    }
}
