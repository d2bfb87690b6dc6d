using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadsGoldenInDataOrderWithMetadata()
    {
        using var sd = SafeTensors.Load(Golden.File("clip", "tiny_state.safetensors"));

        Assert.Equal(62, sd.Count);
        Assert.Equal("positional_embedding", sd.Keys.First());
        Assert.Equal("pt", sd.Metadata["format"]);
        Assert.Equal([49408L, 64], sd["token_embedding.weight"].shape);
        Assert.Empty(sd["logit_scale"].shape);
        Assert.Equal(2.6431494f, sd["logit_scale"].item<float>(), 6);
    }

    [Fact]
    public void LoadsIntegerAndByteTensors()
    {
        using var io = SafeTensors.Load(Golden.File("clip", "tiny_io.safetensors"), n => n is "text_ids" or "text_eot_index");
        using var cases = SafeTensors.Load(Golden.File("clip", "preprocess_cases.safetensors"), n => n == "case2_input");

        Assert.Equal(2, io.Count);
        long[] ids = io["text_ids"].Values<long>();
        long[] eot = io["text_eot_index"].Values<long>();
        for (int row = 0; row < 8; row++)
            Assert.Equal(49407L, ids[row * 77 + eot[row]]);
        Assert.Equal(ScalarType.Byte, cases["case2_input"].dtype);
        Assert.Equal([32L, 32, 3], cases["case2_input"].shape);
    }

    [Fact]
    public void RoundTripsEveryDtypeAndLayout()
    {
        string path = _temp.File("round.safetensors");
        using var transposedSource = tensor(Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray(), [3, 4]);
        using var f64 = tensor(new[] { Math.PI, -0.0, double.MaxValue });
        using var sd = new StateDict
        {
            { "z_transposed", transposedSource.transpose(0, 1) },
            { "f16", f64.to(ScalarType.Float16) },
            { "bf16", f64.to(ScalarType.BFloat16) },
            { "f64", f64.clone() },
            { "i64", tensor(new[] { long.MinValue, 0, long.MaxValue }) },
            { "i32", tensor(new[] { int.MinValue, 7 }) },
            { "i16", tensor(new short[] { -2, 3 }) },
            { "i8", tensor(new sbyte[] { -128, 127 }) },
            { "u8", tensor(new byte[] { 0, 255, 3 }) },
            { "bool", tensor(new[] { true, false }) },
            { "scalar", tensor(4.5f) },
            { "empty", zeros(0, 3) },
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "quote \" and é and {\"json\": [1]}" };

        SafeTensors.Save(path, sd, metadata);
        using var back = SafeTensors.Load(path);

        Assert.Equal(sd.Keys.Order(StringComparer.Ordinal), back.Keys);
        foreach (var (name, t) in sd)
            TensorAssert.BitEqual(t, back[name], name);
        Assert.Equal(metadata, back.Metadata);
        var header = SafeTensorsHeader.Read(path);
        Assert.Equal(0, header.DataStart % 8);
        byte[] raw = File.ReadAllBytes(path);
        string headerText = Encoding.UTF8.GetString(raw, 8, (int)header.HeaderLength);
        Assert.Equal(headerText.LastIndexOf('}') + 1, headerText.TrimEnd(' ').Length);
        Assert.Equal(new FileInfo(path).Length, header.DataStart + header.Entries[^1].End);
        using var json = JsonDocument.Parse(raw.AsMemory(8, (int)header.HeaderLength));
        Assert.Equal(["__metadata__", .. sd.Keys.Order(StringComparer.Ordinal)], json.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void UnalignedDataIsCopiedThenViewed()
    {
        string path = _temp.File("unaligned.safetensors");
        byte[] header = Encoding.ASCII.GetBytes("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"c":{"dtype":"F64","shape":[],"data_offsets":[9,17]}}""");
        var bytes = new byte[8 + header.Length + 17];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        int data = 8 + header.Length;
        bytes[data] = 9;
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(data + 1), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(data + 5), -2f);
        BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(data + 9), Math.E);
        File.WriteAllBytes(path, bytes);

        using var sd = SafeTensors.Load(path);

        Assert.Equal(new byte[] { 9 }, sd["a"].Values<byte>());
        Assert.Equal(new[] { 1.5f, -2f }, sd["b"].Values<float>());
        Assert.Equal(Math.E, sd["c"].item<double>());
    }

    [Fact]
    public void WritingLoadedTensorsNeverTouchesTheFile()
    {
        string safetensors = _temp.File("w.safetensors");
        string pt = _temp.File("w.pt");
        File.Copy(Golden.File("stylegan2", "rosinality", "tiny_state.safetensors"), safetensors);
        File.Copy(Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt"), pt);
        byte[] before = [.. File.ReadAllBytes(safetensors), .. File.ReadAllBytes(pt)];

        using (var a = SafeTensors.Load(safetensors))
        using (var b = TorchCheckpoint.LoadStateDict(pt, "g_ema"))
        {
            foreach (var t in a.Values.Concat(b.Values))
                t.zero_();
            using var again = SafeTensors.Load(safetensors);
            using var scope = NewDisposeScope();
            Assert.Contains(again.Values, t => t.abs().sum().item<float>() > 0);
        }

        Assert.True(before.AsSpan().SequenceEqual([.. File.ReadAllBytes(safetensors), .. File.ReadAllBytes(pt)]));
    }

    [Fact]
    public void SaveRejectsBadNames()
    {
        using var t = tensor(new[] { 1f });
        string path = _temp.File("bad.safetensors");

        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("a", t), new("a", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [new("__metadata__", t)]));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void LoadFailureNamesFile()
    {
        string path = _temp.Truncated(Golden.File("clip", "tiny_state.safetensors"), 5_000_000, "cut.safetensors");

        var e = Assert.Throws<WeightFormatException>(() => SafeTensors.Load(path));

        Assert.Equal(path, e.FilePath);
    }
}
