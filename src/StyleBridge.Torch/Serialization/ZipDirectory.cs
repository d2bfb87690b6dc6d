using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace StyleBridge.Torch.Serialization;

/// <summary>One member of a zip archive, as listed by the central directory.</summary>
internal sealed record ZipEntry(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalHeaderOffset, bool Encrypted)
{
    public const int Stored = 0;
    public const int Deflate = 8;
}

/// <summary>
/// Minimal zip reader (APPNOTE.TXT): central directory with zip64 extensions, local headers for the
/// position of the data. It exists because torch archives store tensor data uncompressed and the
/// reader needs each member's byte offset in the file to map it without copying, which
/// <see cref="ZipArchive"/> does not expose.
/// </summary>
internal sealed class ZipDirectory
{
    private const uint EndOfCentralDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint LocalHeaderSignature = 0x04034b50;
    private const int EndRecordSize = 22;
    private const int MaxCommentLength = 0xFFFF;

    private readonly SafeFileHandle _file;
    private readonly Dictionary<string, ZipEntry> _byName;

    private ZipDirectory(string path, SafeFileHandle file, long length, List<ZipEntry> entries)
    {
        Path = path;
        _file = file;
        Length = length;
        Entries = entries;
        _byName = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
            _byName.TryAdd(e.Name, e);
    }

    public string Path { get; }
    public long Length { get; }
    public IReadOnlyList<ZipEntry> Entries { get; }

    public ZipEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads the central directory. The handle stays owned by the caller.</summary>
    public static ZipDirectory Read(string path, SafeFileHandle file)
    {
        long length = RandomAccess.GetLength(file);
        if (length < EndRecordSize)
            throw Fail(path, $"not a zip archive: the file has only {length} bytes");

        int tailLength = (int)Math.Min(length, EndRecordSize + MaxCommentLength);
        var tail = new byte[tailLength];
        ReadExactly(path, file, tail, length - tailLength);
        int eocd = -1;
        for (int i = tailLength - EndRecordSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == EndOfCentralDirectorySignature)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0)
            throw Fail(path, "zip end-of-central-directory record not found; the file is truncated or not a zip archive");

        var end = tail.AsSpan(eocd);
        long entryCount = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long directorySize = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long directoryOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        long eocdPosition = length - tailLength + eocd;

        if (entryCount == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
            (entryCount, directorySize, directoryOffset) = ReadZip64End(path, file, eocdPosition);

        if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > eocdPosition)
            throw Fail(path, $"zip central directory (offset {directoryOffset}, {directorySize} bytes) lies outside the file; the file is truncated or corrupt");
        if (directorySize > int.MaxValue)
            throw Fail(path, $"zip central directory of {directorySize} bytes is implausibly large");

        var directory = new byte[directorySize];
        ReadExactly(path, file, directory, directoryOffset);
        var entries = ParseCentralDirectory(path, directory, entryCount, directoryOffset);
        return new ZipDirectory(path, file, length, entries);
    }

    private static (long Count, long Size, long Offset) ReadZip64End(string path, SafeFileHandle file, long eocdPosition)
    {
        if (eocdPosition < 20)
            throw Fail(path, "zip64 end-of-central-directory locator missing");
        var locator = new byte[20];
        ReadExactly(path, file, locator, eocdPosition - 20);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
            throw Fail(path, "zip64 end-of-central-directory locator missing");
        long recordOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8));
        if (recordOffset < 0 || recordOffset + 56 > eocdPosition)
            throw Fail(path, "zip64 end-of-central-directory record lies outside the file");
        var record = new byte[56];
        ReadExactly(path, file, record, recordOffset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
            throw Fail(path, "zip64 end-of-central-directory record has a bad signature");
        return ((long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(40)),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(48)));
    }

    private static List<ZipEntry> ParseCentralDirectory(string path, byte[] directory, long expectedCount, long directoryOffset)
    {
        var entries = new List<ZipEntry>();
        int pos = 0;
        while (pos + 46 <= directory.Length)
        {
            var h = directory.AsSpan(pos);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralHeaderSignature)
                throw Fail(path, $"zip central directory entry {entries.Count} at offset {directoryOffset + pos} has a bad signature");
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            int total = 46 + nameLength + extraLength + commentLength;
            if (pos + total > directory.Length)
                throw Fail(path, $"zip central directory entry {entries.Count} runs past the end of the directory");
            string name = Encoding.UTF8.GetString(h.Slice(46, nameLength));
            ApplyZip64Extra(path, name, h.Slice(46 + nameLength, extraLength), ref uncompressed, ref compressed, ref localOffset);
            if (uncompressed < 0 || compressed < 0 || localOffset < 0)
                throw Fail(path, $"zip member '{name}' has an impossible size or offset");
            entries.Add(new ZipEntry(name, method, compressed, uncompressed, localOffset, (flags & 1) != 0));
            pos += total;
        }
        if (entries.Count != expectedCount)
            throw Fail(path, $"zip central directory lists {entries.Count} entries but the end record says {expectedCount}");
        return entries;
    }

    private static void ApplyZip64Extra(string path, string name, ReadOnlySpan<byte> extra, ref long uncompressed, ref long compressed, ref long localOffset)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int size = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + size > extra.Length)
                break;
            if (id == 1)
            {
                var field = extra.Slice(4, size);
                int p = 0;
                if (uncompressed == 0xFFFFFFFF) uncompressed = Next(ref p, field);
                if (compressed == 0xFFFFFFFF) compressed = Next(ref p, field);
                if (localOffset == 0xFFFFFFFF) localOffset = Next(ref p, field);
            }
            extra = extra[(4 + size)..];
        }

        long Next(ref int p, ReadOnlySpan<byte> field)
        {
            if (p + 8 > field.Length)
                throw Fail(path, $"zip64 extra field of '{name}' is too short");
            long v = (long)BinaryPrimitives.ReadUInt64LittleEndian(field[p..]);
            p += 8;
            return v;
        }
    }

    /// <summary>Byte offset in the file of the member's (possibly compressed) data.</summary>
    public long DataOffset(ZipEntry entry)
    {
        if (entry.Encrypted)
            throw Fail(Path, $"zip member '{entry.Name}' is encrypted");
        if (entry.LocalHeaderOffset < 0 || entry.LocalHeaderOffset + 30 > Length)
            throw Fail(Path, $"zip member '{entry.Name}': local header offset {entry.LocalHeaderOffset} lies outside the file");
        Span<byte> header = stackalloc byte[30];
        ReadExactly(Path, _file, header, entry.LocalHeaderOffset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeaderSignature)
            throw Fail(Path, $"zip member '{entry.Name}': bad local header signature at offset {entry.LocalHeaderOffset}");
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header[26..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        long offset = entry.LocalHeaderOffset + 30 + nameLength + extraLength;
        if (offset + entry.CompressedSize > Length)
            throw Fail(Path, $"zip member '{entry.Name}' ({entry.CompressedSize} bytes at offset {offset}) runs past the end of the {Length}-byte file; the file is truncated");
        return offset;
    }

    /// <summary>Reads and, if needed, inflates a whole member.</summary>
    public byte[] ReadAll(ZipEntry entry)
    {
        if (entry.UncompressedSize > Array.MaxLength)
            throw Fail(Path, $"zip member '{entry.Name}' is too large to read into memory ({entry.UncompressedSize} bytes)");
        long offset = DataOffset(entry);
        if (entry.Method == ZipEntry.Stored)
        {
            if (entry.CompressedSize != entry.UncompressedSize)
                throw Fail(Path, $"stored zip member '{entry.Name}' has compressed size {entry.CompressedSize} != size {entry.UncompressedSize}");
            var data = new byte[entry.UncompressedSize];
            ReadExactly(Path, _file, data, offset);
            return data;
        }
        if (entry.Method != ZipEntry.Deflate)
            throw Fail(Path, $"zip member '{entry.Name}' uses compression method {entry.Method}; only stored (0) and deflate (8) are supported");
        if (entry.CompressedSize > Array.MaxLength)
            throw Fail(Path, $"zip member '{entry.Name}' is too large to read into memory");
        // deflate cannot expand data by more than about 1032:1; a larger claim is a corrupt or hostile header
        if (entry.UncompressedSize > entry.CompressedSize * 1040 + 1024)
            throw Fail(Path, $"zip member '{entry.Name}' claims {entry.UncompressedSize} bytes from {entry.CompressedSize} compressed; not plausible for deflate");
        var compressed = new byte[entry.CompressedSize];
        ReadExactly(Path, _file, compressed, offset);
        var result = new byte[entry.UncompressedSize];
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
            inflater.ReadExactly(result);
            if (inflater.ReadByte() >= 0)
                throw Fail(Path, $"zip member '{entry.Name}' inflates to more than its declared {entry.UncompressedSize} bytes");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw Fail(Path, $"zip member '{entry.Name}' could not be inflated: {e.Message}", e);
        }
        return result;
    }

    internal static void ReadExactly(string path, SafeFileHandle file, Span<byte> buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(file, buffer[done..], offset + done);
            if (n <= 0)
                throw Fail(path, $"unexpected end of file at offset {offset + done} (needed {buffer.Length} bytes from offset {offset}); the file is truncated");
            done += n;
        }
    }

    private static WeightFormatException Fail(string path, string problem, Exception? inner = null) => new(path, problem, inner);
}
