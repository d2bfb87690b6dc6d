using System.Buffers.Binary;
using StyleBridge.Torch.Tests.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

public sealed class TensorBytesTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<ScalarType> WeightDtypes() =>
    [
        ScalarType.Byte, ScalarType.Int8, ScalarType.Bool, ScalarType.Int16, ScalarType.Float16, ScalarType.BFloat16,
        ScalarType.Int32, ScalarType.Float32, ScalarType.Int64, ScalarType.Float64,
    ];

    [Theory]
    [MemberData(nameof(WeightDtypes))]
    public void ElementSizeAndKindAgreeWithLibtorch(ScalarType dtype)
    {
        using var t = empty([1], dtype);

        Assert.Equal(t.element_size(), dtype.ElementSize());
        Assert.Equal(is_floating_point(t), dtype.IsFloatingPoint());
    }

    [Fact]
    public void ElementSizeRefusesTypesNoWeightFormatStores() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ScalarType.ComplexFloat32.ElementSize());

    [Theory]
    [MemberData(nameof(WeightDtypes))]
    public void BytesRoundTripBitForBit(ScalarType dtype)
    {
        int size = dtype.ElementSize();
        var bytes = new byte[2 * 3 * size];
        new Random(7).NextBytes(bytes);
        if (dtype == ScalarType.Bool)
            bytes = bytes.Select(b => (byte)(b & 1)).ToArray();

        using var t = TensorBytes.FromBytes(bytes, dtype, [2, 3]);
        byte[] back = TensorBytes.ToBytes(t);

        Assert.Equal(dtype, t.dtype);
        Assert.Equal([2L, 3], t.shape);
        Assert.Equal(bytes, back);
        bytes.AsSpan().Clear(); // the tensor holds a copy, not the caller's array
        Assert.Equal(back, TensorBytes.ToBytes(t));
    }

    [Fact]
    public void FromBytesIsLittleEndianCOrder()
    {
        var bytes = new byte[6 * 4];
        for (int i = 0; i < 6; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), i * 1.25f - 2);

        using var t = TensorBytes.FromBytes(bytes, ScalarType.Float32, [2, 3]);

        Assert.Equal(Enumerable.Range(0, 6).Select(i => i * 1.25f - 2), t.Values<float>());
        Assert.Equal(1.75f, t[1, 0].item<float>());
    }

    [Fact]
    public void ToBytesReadsAnyLayoutInCOrder()
    {
        using var scope = NewDisposeScope();
        var matrix = arange(6, dtype: ScalarType.Int32).view(2, 3);
        var transposed = matrix.t();
        var stepped = arange(10, dtype: ScalarType.Int16)[TensorIndex.Slice(1, null, 3)];
        var scalar = tensor(2.5);

        Assert.False(transposed.is_contiguous());
        Assert.Equal(new[] { 0, 3, 1, 4, 2, 5 }.SelectMany(BitConverter.GetBytes), TensorBytes.ToBytes(transposed));
        Assert.Equal(new short[] { 1, 4, 7 }.SelectMany(BitConverter.GetBytes), TensorBytes.ToBytes(stepped));
        Assert.Equal(BitConverter.GetBytes(2.5), TensorBytes.ToBytes(scalar));
        Assert.Empty(TensorBytes.ToBytes(zeros(0, 4)));
    }

    [Fact]
    public void EmptyAndScalarShapes()
    {
        using var none = TensorBytes.FromBytes([], ScalarType.Float32, [0, 7]);
        using var scalar = TensorBytes.FromBytes(BitConverter.GetBytes(-3L), ScalarType.Int64, []);

        Assert.Equal([0L, 7], none.shape);
        Assert.Empty(scalar.shape);
        Assert.Equal(-3L, scalar.item<long>());
    }

    [Theory]
    [InlineData(11, ScalarType.Float32, new long[] { 3 })]
    [InlineData(12, ScalarType.Float32, new long[] { 2, 2 })]
    [InlineData(4, ScalarType.Float32, new long[] { 0 })]
    public void FromBytesRefusesAWrongLength(int length, ScalarType dtype, long[] shape) =>
        Assert.Throws<ArgumentException>(() => TensorBytes.FromBytes(new byte[length], dtype, shape));

    [Fact]
    public void MapFileCoversWholeElementsAndNeverWritesTheFile()
    {
        string path = _temp.File("map.bin");
        var bytes = new byte[5 * 4 + 3]; // 5 floats and 3 bytes that make no whole float
        for (int i = 0; i < 5; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), 10 - i);
        bytes[^1] = 0xEE;
        File.WriteAllBytes(path, bytes);

        using var floats = TensorBytes.MapFile(path, ScalarType.Float32);
        using var raw = TensorBytes.MapFile(path, ScalarType.Byte);

        Assert.Equal([5L], floats.shape);
        Assert.Equal([10f, 9f, 8f, 7f, 6f], floats.Values<float>());
        Assert.Equal(bytes, raw.Values<byte>());
        floats.mul_(2);
        raw.zero_();
        Assert.Equal([20f, 18f, 16f, 14f, 12f], floats.Values<float>());
        Assert.Equal(bytes, File.ReadAllBytes(path)); // mapped copy-on-write
    }

    [Fact]
    public void MapFileFollowsSymbolicLinksToTheWholeFile()
    {
        string path = _temp.File("weights.bin"), link = _temp.File("link.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, 64).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray());
        File.CreateSymbolicLink(link, path);

        using var floats = TensorBytes.MapFile(link, ScalarType.Float32);

        Assert.Equal([64L], floats.shape); // not the link's own few bytes
        Assert.Equal(63f, floats[63].item<float>());
    }

    [Fact]
    public void MapFileViewsKeepTheMappingAlive()
    {
        string path = _temp.File("alive.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, 8).SelectMany(i => BitConverter.GetBytes((double)i)).ToArray());

        Tensor tail;
        using (var map = TensorBytes.MapFile(path, ScalarType.Float64))
            tail = map.narrow(0, 5, 3).DetachFromDisposeScope();

        using (tail)
            Assert.Equal([5.0, 6.0, 7.0], tail.Values<double>());
    }

    [Fact]
    public void FormatWritesShapes()
    {
        Assert.Equal("[]", TensorBytes.Format([]));
        Assert.Equal("[3]", TensorBytes.Format([3]));
        Assert.Equal("[49408, 64]", TensorBytes.Format([49408, 64]));
    }
}
