using System.Buffers.Binary;
using System.Text.Json;

namespace StyleBridge.Torch.Serialization;

/// <summary>One tensor of a safetensors file; offsets are relative to the start of the data section.</summary>
public sealed record SafeTensorsEntry(string Name, ScalarType Dtype, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// The validated header of a safetensors file: 8-byte little-endian length N, N bytes of JSON
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>, then data.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>Upper bound on the JSON header, as the reference implementation has.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<string, ScalarType> Dtypes = new(StringComparer.Ordinal)
    {
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["F64"] = ScalarType.Float64,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    private SafeTensorsHeader(long headerLength, List<SafeTensorsEntry> entries, Dictionary<string, string> metadata)
    {
        HeaderLength = headerLength;
        Entries = entries;
        Metadata = metadata;
    }

    public long HeaderLength { get; }

    /// <summary>File offset of the data section.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>The tensors in data order (by begin offset).</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static string DtypeCode(ScalarType dtype) =>
        Dtypes.FirstOrDefault(kv => kv.Value == dtype).Key
        ?? throw new ArgumentException($"dtype {dtype} cannot be stored in safetensors", nameof(dtype));

    public static SafeTensorsHeader Read(string path)
    {
        using var file = WeightFiles.OpenRead(path);
        return Read(path, file);
    }

    internal static SafeTensorsHeader Read(string path, Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        long fileLength = RandomAccess.GetLength(file);
        if (fileLength < 8)
            throw Fail(path, $"file of {fileLength} bytes is too short for a safetensors header");
        Span<byte> prefix = stackalloc byte[8];
        ZipDirectory.ReadExactly(path, file, prefix, 0);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderLength)
            throw Fail(path, $"header length {n} is implausible (limit {MaxHeaderLength}); not a safetensors file or corrupt");
        if ((long)n > fileLength - 8)
            throw Fail(path, $"header length {n} exceeds the {fileLength - 8} bytes after the length field; the file is truncated or not safetensors");
        var json = new byte[n];
        ZipDirectory.ReadExactly(path, file, json, 8);
        return Parse(path, json, fileLength - 8 - (long)n);
    }

    internal static SafeTensorsHeader Parse(string path, byte[] json, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(path, "header JSON is not an object");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw Fail(path, $"header lists '{property.Name}' twice");
                if (property.Name == "__metadata__")
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value, dataLength));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            for (int i = 1; i < entries.Count; i++)
            {
                if (entries[i].Begin < entries[i - 1].End)
                    throw Fail(path, $"tensors '{entries[i - 1].Name}' [{entries[i - 1].Begin}, {entries[i - 1].End}) and '{entries[i].Name}' [{entries[i].Begin}, {entries[i].End}) overlap");
            }
            return new SafeTensorsHeader(json.Length, entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, "__metadata__ is not an object");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Fail(path, $"__metadata__ value '{p.Name}' is not a string");
            metadata[p.Name] = p.Value.GetString()!;
        }
    }

    private static SafeTensorsEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        string Where(string what) => $"tensor '{name}': {what}";
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, Where("entry is not an object"));
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(path, Where("missing \"dtype\""));
        string code = dtypeElement.GetString()!;
        if (!Dtypes.TryGetValue(code, out var dtype))
            throw Fail(path, Where($"unsupported dtype \"{code}\" (supported: {string.Join(", ", Dtypes.Keys)})"));
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail(path, Where("missing \"shape\""));
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out shape[i]) || shape[i] < 0)
                throw Fail(path, Where($"shape entry {i} is not a non-negative integer"));
            i++;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw Fail(path, Where("\"data_offsets\" must be [begin, end]"));
        if (begin < 0 || end < begin)
            throw Fail(path, Where($"data_offsets [{begin}, {end}] are not an increasing pair"));
        if (end > dataLength)
            throw Fail(path, Where($"data_offsets [{begin}, {end}] run past the {dataLength}-byte data section; the file is truncated or corrupt"));
        long expected = dtype.ElementSize();
        try
        {
            foreach (long s in shape)
                expected = checked(expected * s);
        }
        catch (OverflowException e)
        {
            throw Fail(path, Where($"shape [{string.Join(", ", shape)}] overflows"), e);
        }
        if (expected != end - begin)
            throw Fail(path, Where($"shape [{string.Join(", ", shape)}] of {code} needs {expected} bytes but data_offsets [{begin}, {end}] span {end - begin}"));
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static WeightFormatException Fail(string path, string problem, Exception? inner = null) => new(path, problem, inner);
}
