using System.Diagnostics;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

[Collection(PythonFixturesCollection.Name)]
public sealed class NpyTests(PythonFixtures fixtures) : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", ScalarType.Float32, new long[] { 3, 4 })]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", ScalarType.Float64, new long[] { 5 })]
    [InlineData("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", ScalarType.Byte, new long[0])]
    [InlineData("{\"shape\": (2L, 0L), \"fortran_order\": False, \"descr\": \"<i8\"}", ScalarType.Int64, new long[] { 2, 0 })]
    [InlineData("{'descr':'|b1','fortran_order':False,'shape':(1,)}", ScalarType.Bool, new long[] { 1 })]
    public void ParsesHeaderLiterals(string text, ScalarType dtype, long[] shape)
    {
        var header = Npy.ParseHeader("h.npy", text, 128);

        Assert.Equal(dtype, header.Dtype);
        Assert.Equal(shape, header.Shape.ToArray());
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", "Fortran")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }", "big-endian")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "Python objects")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "'shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4 }", "malformed header")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "negative")]
    public void RefusesUnsupportedHeaders(string text, string problem)
    {
        var e = Assert.Throws<WeightFormatException>(() => Npy.ParseHeader("h.npy", text, 128));

        Assert.StartsWith("h.npy: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [PythonFact]
    public void ReadsNumpyFiles()
    {
        using var f32 = Npy.Load(fixtures.File("f32.npy"));
        using var f64 = Npy.Load(fixtures.File("f64.npy"));
        using var scalar = Npy.Load(fixtures.File("scalar.npy"));
        using var v2 = Npy.Load(fixtures.File("v2.npy"));

        Assert.Equal([3L, 4], f32.shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 7f), f32.Values<float>());
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (i - 2.5) / 3), f64.Values<double>());
        Assert.Empty(scalar.shape);
        Assert.Equal(1.5f, scalar.item<float>());
        TensorAssert.BitEqual(f32, v2, "v2");
        Assert.Equal(0, Npy.ReadHeader(fixtures.File("f32.npy")).DataOffset % 64);
    }

    [PythonTheory]
    [InlineData("fortran.npy", "Fortran")]
    [InlineData("bigendian.npy", "big-endian")]
    [InlineData("objects.npy", "Python objects")]
    public void RefusesUnsupportedNumpyFiles(string file, string problem)
    {
        var e = Assert.Throws<WeightFormatException>(() => Npy.Load(fixtures.File(file)));

        Assert.Contains(fixtures.File(file), e.Message);
        Assert.Contains(problem, e.Message);
    }

    [PythonFact]
    public void TruncatedFileIsReported()
    {
        string source = fixtures.File("f32.npy");
        string cut = _temp.Truncated(source, new FileInfo(source).Length - 4, "cut.npy");
        string cutHeader = _temp.Truncated(source, 20, "cut2.npy");

        Assert.Contains("truncated", Assert.Throws<WeightFormatException>(() => Npy.Load(cut)).Message);
        Assert.Contains("truncated", Assert.Throws<WeightFormatException>(() => Npy.Load(cutHeader)).Message);
        Assert.Contains("magic", Assert.Throws<WeightFormatException>(() => Npy.Load(fixtures.File("views.pt"))).Message);
    }

    [PythonFact]
    public void NumpyReadsWhatWeWrite()
    {
        using var matrix = tensor(Enumerable.Range(0, 6).Select(i => i * 0.25f - 1).ToArray(), [2, 3]);
        using var transposed = matrix.transpose(0, 1);
        using var longs = tensor(new[] { -3L, 1L << 40 });
        using var scalar = tensor(2.5);
        var cases = new (string Name, Tensor Tensor, string Expected)[]
        {
            ("t.npy", transposed, "<f4 (3, 2) [-1.0, -0.25, -0.75, 0.0, -0.5, 0.25]"),
            ("l.npy", longs, "<i8 (2,) [-3, 1099511627776]"),
            ("s.npy", scalar, "<f8 () [2.5]"),
        };

        foreach (var (name, tensor, expected) in cases)
        {
            string path = _temp.File(name);
            Npy.Save(path, tensor);
            using var back = Npy.Load(path);
            TensorAssert.BitEqual(tensor, back, name);
            Assert.Equal(0, Npy.ReadHeader(path).DataOffset % 64);
            Assert.Equal(expected, NumpyDescribe(path));
        }
    }

    [Fact]
    public void SaveRefusesBFloat16()
    {
        using var t = tensor(new[] { 1f });
        using var bf = t.to(ScalarType.BFloat16);

        Assert.Throws<ArgumentException>(() => Npy.Save(_temp.File("x.npy"), bf));
    }

    private static string NumpyDescribe(string path)
    {
        var info = new ProcessStartInfo(PythonFixtures.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import sys, numpy as np; a = np.load(sys.argv[1]); print(a.dtype.str, a.shape, a.ravel().tolist())");
        info.ArgumentList.Add(path);
        using var p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return stdout.Trim();
    }
}
