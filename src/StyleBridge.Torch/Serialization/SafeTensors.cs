using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StyleBridge.Torch.Serialization;

/// <summary>
/// Reader and writer for the safetensors format. Reading maps the file (copy-on-write) and views
/// each tensor in place; writing stores tensors C-contiguous, little-endian, in sorted-name order.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Loads every tensor (or those whose name passes <paramref name="include"/>), in file data order,
    /// with the file's <c>__metadata__</c>. The caller owns the result.
    /// </summary>
    public static StateDict Load(string path, Func<string, bool>? include = null)
    {
        var header = SafeTensorsHeader.Read(path);
        var result = new StateDict { Metadata = header.Metadata };
        using var maps = new FileMaps(path);
        try
        {
            foreach (var entry in header.Entries)
            {
                if (include is not null && !include(entry.Name))
                    continue;
                if (entry.ByteLength == 0)
                {
                    result.Add(entry.Name, zeros(entry.Shape.ToArray(), entry.Dtype).DetachFromDisposeScope());
                    continue;
                }
                result.Add(entry.Name, maps.View(header.DataStart + entry.Begin, entry.Dtype, entry.Shape.ToArray()));
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors (any device, any layout) with optional string metadata. Tensors are stored in
    /// ordinal name order; the header is padded with spaces so the data starts at a multiple of 8.
    /// The file is written next to <paramref name="path"/> and moved into place when complete.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in items)
        {
            ArgumentNullException.ThrowIfNull(tensor, name);
            if (name.Length == 0 || name == "__metadata__")
                throw new ArgumentException($"'{name}' cannot be a tensor name in safetensors", nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"tensor name '{name}' appears twice", nameof(tensors));
        }
        items.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));

        byte[] header = BuildHeader(items, metadata);
        string temp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var (name, tensor) in items)
                {
                    byte[] data = TensorBytes.ToBytes(tensor);
                    if (data.LongLength != ByteLength(tensor))
                        throw new InvalidOperationException($"tensor '{name}' gave {data.LongLength} bytes, expected {ByteLength(tensor)}");
                    stream.Write(data);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                long end = offset + ByteLength(tensor);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsHeader.DtypeCode(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static long ByteLength(Tensor t) => t.numel() * t.dtype.ElementSize();
}
