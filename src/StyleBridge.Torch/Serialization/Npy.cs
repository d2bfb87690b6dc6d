using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace StyleBridge.Torch.Serialization;

/// <summary>The parsed header of a <c>.npy</c> file.</summary>
public sealed record NpyHeader(ScalarType Dtype, IReadOnlyList<long> Shape, long DataOffset)
{
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1–3): little-endian, C-order arrays of float32, float64
/// and the plain integer / bool / float16 types. Fortran order, big-endian and object arrays are refused.
/// </summary>
public static class Npy
{
    internal static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static readonly Dictionary<string, ScalarType> Descrs = new(StringComparer.Ordinal)
    {
        ["f4"] = ScalarType.Float32,
        ["f8"] = ScalarType.Float64,
        ["f2"] = ScalarType.Float16,
        ["i8"] = ScalarType.Int64,
        ["i4"] = ScalarType.Int32,
        ["i2"] = ScalarType.Int16,
        ["i1"] = ScalarType.Int8,
        ["u1"] = ScalarType.Byte,
        ["b1"] = ScalarType.Bool,
    };

    public static NpyHeader ReadHeader(string path)
    {
        using var file = WeightFiles.OpenRead(path);
        long length = RandomAccess.GetLength(file);
        var prefix = new byte[(int)Math.Min(length, 12)];
        ZipDirectory.ReadExactly(path, file, prefix, 0);
        if (prefix.Length < 10 || !prefix.AsSpan(0, 6).SequenceEqual(Magic))
            throw Fail(path, "not a .npy file (missing \\x93NUMPY magic)");
        int major = prefix[6];
        int headerLength;
        int lengthField;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix.AsSpan(8));
                lengthField = 2;
                break;
            case 2 or 3 when prefix.Length >= 12:
                uint n = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
                if (n > int.MaxValue)
                    throw Fail(path, $"header length {n} is implausible");
                headerLength = (int)n;
                lengthField = 4;
                break;
            default:
                throw Fail(path, $"unsupported .npy format version {major}.{prefix[7]}");
        }
        long dataOffset = 8 + lengthField + (long)headerLength;
        if (dataOffset > length)
            throw Fail(path, $"header of {headerLength} bytes runs past the end of the {length}-byte file; the file is truncated");
        var text = new byte[headerLength];
        ZipDirectory.ReadExactly(path, file, text, 8 + lengthField);
        var header = ParseHeader(path, (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text), dataOffset);
        long needed = header.Numel * header.Dtype.ElementSize();
        if (length - dataOffset < needed)
            throw Fail(path, $"array of shape ({string.Join(", ", header.Shape)}) needs {needed} data bytes but the file has {length - dataOffset}; the file is truncated");
        return header;
    }

    /// <summary>Reads the array into a new tensor (owned by the caller).</summary>
    public static Tensor Load(string path)
    {
        var header = ReadHeader(path);
        var data = new byte[header.Numel * header.Dtype.ElementSize()];
        using (var file = WeightFiles.OpenRead(path))
            ZipDirectory.ReadExactly(path, file, data, header.DataOffset);
        return TensorBytes.FromBytes(data, header.Dtype, header.Shape.ToArray()).DetachFromDisposeScope();
    }

    /// <summary>Writes a tensor as a version 1.0 <c>.npy</c> file (C order, little-endian).</summary>
    public static void Save(string path, Tensor tensor)
    {
        string descr = tensor.dtype switch
        {
            ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => "|" + Descrs.First(kv => kv.Value == tensor.dtype).Key,
            ScalarType.BFloat16 => throw new ArgumentException("NumPy has no bfloat16; convert the tensor first", nameof(tensor)),
            var t when Descrs.ContainsValue(t) => "<" + Descrs.First(kv => kv.Value == t).Key,
            var t => throw new ArgumentException($"dtype {t} cannot be stored in .npy", nameof(tensor)),
        };
        var shape = tensor.shape;
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // pad with spaces and a newline so the data starts on a 64-byte boundary, as NumPy does
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        string headerText = dict.PadRight(total - 10 - 1) + "\n";
        if (headerText.Length > ushort.MaxValue)
            throw new ArgumentException("shape too long for a version 1.0 header", nameof(tensor));

        byte[] data = TensorBytes.ToBytes(tensor);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerText.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(headerText));
        stream.Write(data);
    }

    /// <summary>Parses the Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.</summary>
    internal static NpyHeader ParseHeader(string path, string text, long dataOffset)
    {
        var fields = new DictLiteral(path, text).Parse();
        if (!fields.TryGetValue("descr", out var descrValue) || descrValue is not string descr)
            throw Fail(path, $"header has no string 'descr' (structured dtypes are not supported): {text.Trim()}");
        if (!fields.TryGetValue("fortran_order", out var fortran) || fortran is not bool isFortran)
            throw Fail(path, $"header has no boolean 'fortran_order': {text.Trim()}");
        if (!fields.TryGetValue("shape", out var shapeValue) || shapeValue is not List<long> shape)
            throw Fail(path, $"header has no 'shape' tuple: {text.Trim()}");
        if (isFortran)
            throw Fail(path, "the array is stored in Fortran (column-major) order; save it with np.ascontiguousarray or fortran_order=False");
        if (descr.Length < 2)
            throw Fail(path, $"unsupported dtype '{descr}'");
        char order = descr[0];
        string code = descr[1..];
        if (!Descrs.TryGetValue(code, out var dtype))
            throw Fail(path, code.StartsWith('O')
                ? "the array holds Python objects (dtype 'O'), which need pickle code execution to read; not supported"
                : $"unsupported dtype '{descr}' (supported: float32, float64, float16, int64, int32, int16, int8, uint8, bool)");
        if (order == '>' && dtype.ElementSize() > 1)
            throw Fail(path, $"the array is big-endian ('{descr}'); convert it with arr.astype(arr.dtype.newbyteorder('<'))");
        if (order is not ('<' or '|' or '=' or '>'))
            throw Fail(path, $"unsupported dtype '{descr}'");
        if (shape.Any(s => s < 0))
            throw Fail(path, $"negative dimension in shape ({string.Join(", ", shape)})");
        try
        {
            long bytes = dtype.ElementSize();
            foreach (long s in shape)
                bytes = checked(bytes * s);
        }
        catch (OverflowException e)
        {
            throw Fail(path, $"shape ({string.Join(", ", shape)}) overflows", e);
        }
        return new NpyHeader(dtype, shape, dataOffset);
    }

    private static WeightFormatException Fail(string path, string problem, Exception? inner = null) => new(path, problem, inner);

    /// <summary>Just enough of Python's literal syntax for .npy headers: strings, True/False, ints and tuples of ints.</summary>
    private sealed class DictLiteral(string path, string text)
    {
        private int _pos;

        public Dictionary<string, object> Parse()
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (TryConsume('}'))
                    return result;
                string key = ParseString();
                Expect(':');
                result[key] = ParseValue();
                SkipSpace();
                if (!TryConsume(','))
                {
                    Expect('}');
                    return result;
                }
            }
        }

        private object ParseValue()
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] is '\'' or '"')
                return ParseString();
            if (TryConsume('('))
            {
                var values = new List<long>();
                while (true)
                {
                    SkipSpace();
                    if (TryConsume(')'))
                        return values;
                    values.Add(ParseInt());
                    SkipSpace();
                    if (!TryConsume(','))
                    {
                        Expect(')');
                        return values;
                    }
                }
            }
            if (TryWord("True"))
                return true;
            if (TryWord("False"))
                return false;
            if (_pos < text.Length && text[_pos] == '[')
                throw Fail(path, "structured (record) dtypes are not supported");
            return ParseInt();
        }

        private string ParseString()
        {
            SkipSpace();
            if (_pos >= text.Length || text[_pos] is not ('\'' or '"'))
                throw Error("a quoted string");
            char quote = text[_pos++];
            int end = text.IndexOf(quote, _pos);
            if (end < 0)
                throw Error("a closing quote");
            string s = text[_pos..end];
            _pos = end + 1;
            return s;
        }

        private long ParseInt()
        {
            SkipSpace();
            int start = _pos;
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || (_pos == start && text[_pos] == '-')))
                _pos++;
            if (!long.TryParse(text.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                throw Error("an integer");
            if (_pos < text.Length && text[_pos] == 'L')
                _pos++; // Python 2 long suffix
            return v;
        }

        private bool TryWord(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) != 0)
                return false;
            _pos += word.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
                _pos++;
        }

        private bool TryConsume(char c)
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
                throw Error($"'{c}'");
        }

        private WeightFormatException Error(string expected) =>
            Fail(path, $"malformed header: expected {expected} at character {_pos} of {text.Trim()}");
    }
}
