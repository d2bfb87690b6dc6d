using System.Buffers.Binary;
using System.Text;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>Header parsing and validation; reads no tensor data.</summary>
public sealed class SafeTensorsHeaderTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ClipGoldenHeader()
    {
        var header = SafeTensorsHeader.Read(Golden.File("clip", "tiny_state.safetensors"));

        Assert.Equal(62, header.Entries.Count);
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.Contains("\"vocab_size\"", header.Metadata["config"]);
        Assert.Equal(0, header.DataStart % 8);
        Assert.All(header.Entries, e => Assert.Equal(ScalarType.Float32, e.Dtype));
        Assert.Empty(header.Entries.Single(e => e.Name == "logit_scale").Shape);
        Assert.Equal([49408L, 64], header.Entries.Single(e => e.Name == "token_embedding.weight").Shape);
        Assert.Equal("positional_embedding", header.Entries[0].Name);
    }

    [Theory]
    [InlineData("clip", "tiny_state.safetensors")]
    [InlineData("clip", "tiny_io.safetensors")]
    [InlineData("clip", "preprocess_cases.safetensors")]
    [InlineData("stylegan2/rosinality", "tiny_state.safetensors")]
    [InlineData("stylegan2/nvidia", "tiny_io.safetensors")]
    [InlineData("prior", "tiny_io.safetensors")]
    [InlineData("edit", "tiny_deltamapper_state.safetensors")]
    public void GoldenFilesAreGaplessAndInDataOrder(string folder, string file)
    {
        string path = Golden.File(folder, file);
        var header = SafeTensorsHeader.Read(path);

        long next = 0;
        foreach (var e in header.Entries)
        {
            Assert.Equal(next, e.Begin);
            Assert.Equal(e.Shape.Aggregate((long)e.Dtype.ElementSize(), (a, b) => a * b), e.ByteLength);
            next = e.End;
        }
        Assert.Equal(new FileInfo(path).Length - header.DataStart, next);
    }

    [Fact]
    public void ReadsAllSupportedDtypeCodes()
    {
        var codes = new[] { ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2),
            ("F64", ScalarType.Float64, 8), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4), ("I16", ScalarType.Int16, 2),
            ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1) };
        var json = new StringBuilder("{");
        long offset = 0;
        foreach (var (code, _, size) in codes)
        {
            json.Append($"\"t{code}\":{{\"dtype\":\"{code}\",\"shape\":[3],\"data_offsets\":[{offset},{offset + 3 * size}]}},");
            offset += 3 * size;
        }
        json.Length--;
        json.Append('}');
        string path = Write(json.ToString(), offset);

        var header = SafeTensorsHeader.Read(path);

        Assert.Equal(codes.Select(c => c.Item2), header.Entries.Select(e => e.Dtype));
        Assert.Equal(codes.Select(c => "t" + c.Item1), header.Entries.Select(e => e.Name));
    }

    [Fact]
    public void EntriesAreOrderedByOffsetNotJsonOrder()
    {
        string path = Write("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}""", 8);

        var header = SafeTensorsHeader.Read(path);

        Assert.Equal(["a", "b"], header.Entries.Select(e => e.Name));
        Assert.Equal("v", header.Metadata["k"]);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "run past")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes")]
    [InlineData("""{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}""", 1, "unsupported dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "increasing")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "twice")]
    [InlineData("""{"__metadata__":{"n":1}}""", 0, "not a string")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON")]
    [InlineData("""[1,2]""", 0, "not an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", 4, "overflows")]
    public void InvalidHeadersNameFileAndProblem(string json, long dataLength, string problem)
    {
        string path = Write(json, dataLength);

        var e = Assert.Throws<WeightFormatException>(() => SafeTensorsHeader.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void HeaderLongerThanFileIsTruncation()
    {
        string full = Golden.File("clip", "tiny_state.safetensors");
        string path = _temp.Truncated(full, 1000, "cut.safetensors");

        var e = Assert.Throws<WeightFormatException>(() => SafeTensorsHeader.Read(path));

        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TruncatedDataSectionIsReported()
    {
        string full = Golden.File("clip", "tiny_state.safetensors");
        string path = _temp.Truncated(full, new FileInfo(full).Length - 1, "cut.safetensors");

        var e = Assert.Throws<WeightFormatException>(() => SafeTensorsHeader.Read(path));

        Assert.Contains("run past", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "too short")]
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, (byte)'{' }, "implausible")]
    public void ImpossibleLengthPrefix(byte[] content, string problem)
    {
        string path = _temp.File("bad.safetensors");
        File.WriteAllBytes(path, content);

        var e = Assert.Throws<WeightFormatException>(() => SafeTensorsHeader.Read(path));

        Assert.Contains(problem, e.Message);
    }

    private string Write(string json, long dataLength)
    {
        string path = _temp.File(Guid.NewGuid().ToString("N") + ".safetensors");
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
