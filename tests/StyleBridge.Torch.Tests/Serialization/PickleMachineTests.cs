using System.IO.Compression;
using System.Numerics;
using System.Text;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>The restricted unpickler on hand-assembled opcode streams.</summary>
public sealed class PickleMachineTests
{
    private const string Source = "test.pkl";

    [Fact]
    public void ScalarsAndContainers()
    {
        var root = Load(
            0x80, 2, '}', 'q', 0, '(',
            'X', Le32(3), "int", 'K', 200,
            0x8c, 4, "int2", 'M', Le16(40000),
            0x8c, 4, "int4", 'J', Le32(-7),
            0x8c, 4, "neg1", 0x8a, 1, 0xff,
            0x8c, 3, "big", 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            0x8c, 4, "zero", 0x8a, 0,
            0x8c, 5, "float", 'G', BitConverter.GetBytes(3.25).Reverse().ToArray(),
            0x8c, 4, "none", 'N',
            0x8c, 1, "t", 0x88,
            0x8c, 1, "f", 0x89,
            0x8c, 5, "bytes", 'C', 3, "abc",
            0x8c, 3, "tup", 'K', 1, 'K', 2, 'K', 3, 0x87,
            0x8c, 4, "list", ']', 'q', 1, '(', 'K', 1, 'K', 2, 'e', 'K', 3, 'a',
            0x8c, 4, "same", 'h', 1,
            'u', '.');

        var dict = Assert.IsType<PickleDict>(root);
        Assert.Equal("builtins.dict", dict.ClassName);
        Assert.Equal(["int", "int2", "int4", "neg1", "big", "zero", "float", "none", "t", "f", "bytes", "tup", "list", "same"], dict.Keys.ToArray());
        Assert.Equal(200L, dict["int"]);
        Assert.Equal(40000L, dict["int2"]);
        Assert.Equal(-7L, dict["int4"]);
        Assert.Equal(-1L, dict["neg1"]);
        Assert.Equal(BigInteger.Pow(2, 64), dict["big"]);
        Assert.Equal(0L, dict["zero"]);
        Assert.Equal(3.25, dict["float"]);
        Assert.Null(dict["none"]);
        Assert.Equal(true, dict["t"]);
        Assert.Equal(false, dict["f"]);
        Assert.Equal("abc"u8.ToArray(), dict["bytes"]);
        Assert.Equal(new object[] { 1L, 2L, 3L }, dict["tup"]);
        Assert.Equal(new object[] { 1L, 2L, 3L }, (List<object?>)dict["list"]!);
        Assert.Same(dict["list"], dict["same"]);
    }

    [Fact]
    public void OrderedDictKeepsOrderAndMetadataAttributes()
    {
        var root = Load(
            0x80, 2, 'c', "collections\nOrderedDict\n", 'q', 0, ')', 'R', '(',
            'X', Le32(1), "z", 'K', 1,
            'X', Le32(1), "a", 'K', 2,
            'u',
            '}', 'X', Le32(9), "_metadata", '}', 's', 'b', '.');

        var dict = Assert.IsType<PickleDict>(root);
        Assert.Equal("collections.OrderedDict", dict.ClassName);
        Assert.Equal(["z", "a"], dict.Keys.ToArray());
        Assert.IsType<PickleDict>(dict.Attributes["_metadata"]);
    }

    [Fact]
    public void UnknownClassesStayInert()
    {
        // argparse.Namespace() via NEWOBJ + BUILD, and a REDUCE of os.system that must never run
        var root = Load(
            0x80, 2, '(',
            'c', "argparse\nNamespace\n", ')', 0x81, '}', 'X', Le32(4), "size", 'K', 32, 's', 'b',
            'c', "posix\nsystem\n", 'X', Le32(7), "rm -rf ", 0x85, 'R',
            't', '.');

        var items = Assert.IsType<object?[]>(root);
        var ns = Assert.IsType<PickleObject>(items[0]);
        Assert.Equal("argparse.Namespace", ns.ClassName);
        Assert.Equal(32L, ns.Attributes!["size"]);
        var call = Assert.IsType<PickleObject>(items[1]);
        Assert.Equal("posix.system", call.ClassName);
        Assert.Equal("rm -rf ", call.Args[0]);
    }

    [Fact]
    public void TorchDtypeGlobalsBecomeScalarTypes()
    {
        var root = Load(0x80, 2, 'c', "torch\nfloat16\n", 'c', "torch\nbfloat16\n", 'c', "torch\ncomplex64\n", 0x87, '.');

        var t = Assert.IsType<object?[]>(root);
        Assert.Equal(ScalarType.Float16, t[0]);
        Assert.Equal(ScalarType.BFloat16, t[1]);
        Assert.Equal(new PickleGlobal("torch", "complex64"), t[2]);
    }

    [Fact]
    public void Protocol4FramesStackGlobalAndMemoize()
    {
        var root = Load(
            0x80, 4, 0x95, Le64(40),
            0x8c, 11, "collections", 0x94, 0x8c, 11, "OrderedDict", 0x94, 0x93, 0x94, ')', 'R', 0x94,
            0x8c, 1, "k", 0x94, 'h', 3, 's', '.');

        var dict = Assert.IsType<PickleDict>(root);
        Assert.Equal("collections.OrderedDict", dict.ClassName);
        Assert.Same(dict, dict["k"]);
    }

    [Fact]
    public void RebuildTensorFromPersistentStorage()
    {
        var storage = new PickledStorage("0", ScalarType.Float16, "cpu", 24);
        object? Persistent(object? pid)
        {
            var id = Assert.IsType<object?[]>(pid);
            Assert.Equal("storage", id[0]);
            Assert.Equal(new PickleGlobal("torch", "HalfStorage"), id[1]);
            return storage;
        }
        byte[] data = Bytes(
            0x80, 2, 'c', "torch._utils\n_rebuild_tensor_v2\n", '(',
            '(', 'X', Le32(7), "storage", 'c', "torch\nHalfStorage\n", 'X', Le32(1), "0", 'X', Le32(3), "cpu", 'K', 24, 't', 'Q',
            'K', 6, 'K', 3, 'K', 3, 0x86, 'K', 6, 'K', 2, 0x86, 0x88, 'c', "collections\nOrderedDict\n", ')', 'R', 't', 'R', '.');

        var t = Assert.IsType<PickledTensor>(PickleMachine.Load(data, Source, Persistent));

        Assert.Same(storage, t.Storage);
        Assert.Equal(6, t.StorageOffset);
        Assert.Equal([3L, 3], t.Size.ToArray());
        Assert.Equal([6L, 2], t.Stride.ToArray());
        Assert.True(t.RequiresGrad);
        Assert.Equal(ScalarType.Float16, t.Dtype);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 2, (byte)'K' }, "truncated")]
    [InlineData(new byte[] { 0x80, 2, (byte)'N' }, "without STOP")]
    [InlineData(new byte[] { 0x80, 2, (byte)'X', 0xff, 0xff, 0, 0, (byte)'a' }, "truncated")]
    [InlineData(new byte[] { 0x80, 2, (byte)'h', 5, (byte)'.' }, "memo entry 5")]
    [InlineData(new byte[] { 0x80, 2, (byte)'t', (byte)'.' }, "MARK")]
    [InlineData(new byte[] { 0x80, 2, (byte)'0', (byte)'.' }, "underflow")]
    [InlineData(new byte[] { 0x80, 2, (byte)'N', (byte)'N', (byte)'.' }, "2 values")]
    [InlineData(new byte[] { 0x80, 2, 0xfe }, "unknown pickle opcode 0xfe")]
    [InlineData(new byte[] { 0x80, 9, (byte)'N', (byte)'.' }, "protocol 9")]
    [InlineData(new byte[] { 0x80, 2, 0x82, 1 }, "extension registry")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)')', (byte)'R', (byte)'.' }, "not a named global")]
    [InlineData(new byte[] { 0x80, 2, (byte)'N', (byte)'Q', (byte)'.' }, "persistent id")]
    public void MalformedStreamsFailWithSource(byte[] data, string problem)
    {
        var e = Assert.Throws<WeightFormatException>(() => PickleMachine.Load(data, Source, pid => throw new WeightFormatException(Source, "unsupported persistent id")));

        Assert.StartsWith(Source + ": ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void NonStringKeysUsePythonRepr()
    {
        var root = Load(0x80, 2, '}', '(', 'K', 0, 'N', 0x88, 'N', 'K', 1, 'X', Le32(1), "a", 0x86, 'N', 'u', '.');

        Assert.Equal(["0", "True", "(1, 'a')"], Assert.IsType<PickleDict>(root).Keys.ToArray());
    }

    [Theory]
    [InlineData("clip", "tiny_jit.pt")]
    [InlineData("stylegan2/rosinality", "tiny_ckpt.pt")]
    public void CorruptedPicklesOnlyEverRaiseFormatErrors(string folder, string file)
    {
        byte[] original;
        using (var zip = ZipFile.OpenRead(Golden.File(folder, file)))
        using (var stream = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).Open())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            original = copy.ToArray();
        }
        var random = new Random(1234);
        int failures = 0;
        for (int round = 0; round < 400; round++)
        {
            byte[] data = round < 200
                ? original[..random.Next(original.Length)] // truncation
                : Mutate(original, random);
            try
            {
                PickleMachine.Load(data, Source, pid => new PickledStorage("0", ScalarType.Float32, "cpu", 1));
            }
            catch (WeightFormatException e)
            {
                Assert.StartsWith(Source, e.Message);
                failures++;
            }
        }
        Assert.True(failures >= 200, $"only {failures} of 400 corrupt pickles were rejected");
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] data = (byte[])original.Clone();
        for (int i = random.Next(1, 4); i > 0; i--)
            data[random.Next(data.Length)] = (byte)random.Next(256);
        return data;
    }

    private static object? Load(params object[] parts) =>
        PickleMachine.Load(Bytes(parts), Source, pid => throw new WeightFormatException(Source, "no storages here"));

    private static byte[] Bytes(params object[] parts)
    {
        var bytes = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case int i: bytes.Add(checked((byte)i)); break;
                case char c: bytes.Add(checked((byte)c)); break;
                case string s: bytes.AddRange(Encoding.UTF8.GetBytes(s)); break;
                case byte[] b: bytes.AddRange(b); break;
                default: throw new ArgumentException(part.GetType().Name);
            }
        }
        return bytes.ToArray();
    }

    private static byte[] Le16(int v) => BitConverter.GetBytes(checked((ushort)v));

    private static byte[] Le32(int v) => BitConverter.GetBytes(v);

    private static byte[] Le64(long v) => BitConverter.GetBytes(v);
}
