using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

public class OpsTests
{
    [Fact]
    public void ElementwiseAndBroadcastingMatchHandValues()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 10, 20, 30 }, 3);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, (a + b).ToArray<float>());
        Assert.Equal(new float[] { 9, 18, 27, 6, 15, 24 }, (b - a).ToArray<float>());
        Assert.Equal(new float[] { 2, 4, 6, 8, 10, 12 }, (2.0 * a).ToArray<float>());
        Assert.Equal(new float[] { 1, 0, -1, -2, -3, -4 }, (2.0 - a).ToArray<float>());
        Assert.Equal(new float[] { 6, 15 }, a.Sum(1).ToArray<float>());
        Assert.Equal(new float[] { 6, 15 }, a.Sum(-1).ToArray<float>());
        Assert.Equal(new long[] { 2, 1 }, a.Sum(1, keepdim: true).Shape);
        Assert.Equal(3.5f, a.Mean().Item<float>());
        Assert.Equal(new long[] { 3, 2 }, a.Transpose(0, 1).Shape);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, a.T().Contiguous().ToArray<float>());
        Assert.Equal(new float[] { 3, 6 }, a.Select(1, -1).ToArray<float>());
        Assert.Equal(new float[] { 2, 3, 5, 6 }, a.Slice(1, 1).Contiguous().ToArray<float>());
        var (maxValues, maxIndices) = a.Max(1);
        Assert.Equal(new float[] { 3, 6 }, maxValues.ToArray<float>());
        Assert.Equal(new long[] { 2, 2 }, maxIndices.ToArray<long>());
        Assert.Equal(new long[] { 2, 2 }, a.Argmax(1).ToArray<long>());
        Assert.Equal(5L, a.Argmax().Item<long>());
        var (values, indices) = a.Topk(2, dim: 1);
        Assert.Equal(new float[] { 3, 2, 6, 5 }, values.ToArray<float>());
        Assert.Equal(new long[] { 2, 1, 2, 1 }, indices.ToArray<long>());
    }

    [Fact]
    public void IntegerTensorsStayIntegralWithWholeScalars()
    {
        using var scope = TensorScope.Begin();
        var a = Tensor.FromArray(new long[] { 1, 2, 3 });
        var b = a + 2;
        Assert.Equal(ScalarType.Int64, b.Dtype);
        Assert.Equal(new long[] { 3, 4, 5 }, b.ToArray<long>());
        Assert.Equal(ScalarType.Float32, (a * 0.5).Dtype);
    }

    [Fact]
    public void CreationAndShapeOps()
    {
        using var scope = TensorScope.Begin();
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, LibTorch.Arange(5).ToArray<long>());
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1 }, LibTorch.Linspace(0, 1, 5).ToArray<float>());
        Assert.Equal(new float[] { 7, 7 }, LibTorch.Full([2], 7).ToArray<float>());
        var x = LibTorch.Arange(24, ScalarType.Float32).View(2, 3, 4);
        Assert.Equal(new long[] { 4, 2, 3 }, x.Permute(2, 0, 1).Shape);
        Assert.Equal(new long[] { 6, 4 }, x.Flatten(0, 1).Shape);
        Assert.Equal(new long[] { 2, 12 }, x.Flatten(1).Shape);
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x.Unsqueeze(1).Shape);
        Assert.Equal(new long[] { 2, 3, 4 }, x.Unsqueeze(1).Squeeze(1).Shape);
        var chunks = x.Chunk(2, dim: 2);
        Assert.Equal(2, chunks.Length);
        Assert.Equal(new long[] { 2, 3, 2 }, chunks[1].Shape);
        var parts = x.Split([1, 2], dim: 1);
        Assert.Equal(new long[] { 2, 2, 4 }, parts[1].Shape);
        var cat = LibTorch.Cat(parts, 1);
        Assert.True(cat.Equal(x));
        Assert.Equal(new long[] { 2, 2, 3, 4 }, LibTorch.Stack([x, x], 1).Shape);
        var idx = Tensor.FromArray(new long[] { 2, 0 });
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3 }, x.Select(0, 0).IndexSelect(0, idx).ToArray<float>());
        var gathered = x.Select(0, 0).Gather(1, Tensor.FromArray(new long[] { 3, 0, 1 }, 3, 1));
        Assert.Equal(new float[] { 3, 4, 9 }, gathered.ToArray<float>());
        var padded = Functional.Pad(LibTorch.Ones([1, 1, 2, 2]), [1, 0, 0, 1], value: 5);
        Assert.Equal(new long[] { 1, 1, 3, 3 }, padded.Shape);
        Assert.Equal(new float[] { 5, 1, 1, 5, 1, 1, 5, 5, 5 }, padded.ToArray<float>());
        var strided = LibTorch.Arange(10, ScalarType.Float32).AsStrided([2, 3], [1, 3], 1);
        Assert.Equal(new float[] { 1, 4, 7, 2, 5, 8 }, strided.Contiguous().ToArray<float>());
        var asBytes = Tensor.FromArray(new float[] { 1 }).ViewAs(ScalarType.UInt8);
        Assert.Equal(BitConverter.GetBytes(1f), asBytes.ToArray<byte>());
        Assert.Equal(new float[] { 0, 1, 0, 0 }, LibTorch.Ones([2, 2]).Triu(1).ToArray<float>());
    }

    [Fact]
    public void SpansAndBytesRoundTrip()
    {
        using var scope = TensorScope.Begin();
        Span<double> data = [1.5, -2.25, 3];
        var t = Tensor.FromSpan<double>(data, [3]);
        Span<double> back = stackalloc double[3];
        t.CopyTo(back);
        Assert.True(back.SequenceEqual(data));
        var h = Tensor.FromArray(new Half[] { (Half)1.5, (Half)(-2) });
        Assert.Equal(ScalarType.Float16, h.Dtype);
        Assert.Equal(new float[] { 1.5f, -2 }, h.Float().ToArray<float>());
        var bf = Tensor.FromArray(new float[] { 1.5f, -2 }).To(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf.Dtype);
        Assert.Equal(new float[] { 1.5f, -2 }, bf.Float().ToArray<float>());
        var b = Tensor.FromArray(new bool[] { true, false });
        Assert.Equal(new byte[] { 1, 0 }, b.ToBytes());
        var i32 = Tensor.FromArray(new int[] { 7, -1 });
        Assert.Equal(ScalarType.Int32, i32.Dtype);
        Assert.Equal(-1, i32.Select(0, 1).Item<int>());
        Assert.Equal(new long[] { 1, 3 }, Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).Sum(0).Sub(3).Long().ToArray<long>());
    }

    /// <summary>The math ops against python3-torch on the same inputs.</summary>
    [Fact]
    public void NumericOpsMatchPythonTorch()
    {
        using var scope = TensorScope.Begin();
        using var gen = new Generator(7);
        var x = LibTorch.Randn([2, 3, 8, 8], gen);
        var w = LibTorch.Randn([4, 3, 3, 3], gen);
        var bias = LibTorch.Randn([4], gen);
        var wt = LibTorch.Randn([3, 2, 3, 3], gen);
        var m = LibTorch.Randn([5, 6], gen);
        var n = LibTorch.Randn([6, 7], gen);
        var v = LibTorch.Randn([5, 6], gen);
        string script = PythonTorch.Prelude + $"""
x = {PythonTorch.Literal(x)}
w = {PythonTorch.Literal(w)}
b = {PythonTorch.Literal(bias)}
wt = {PythonTorch.Literal(wt)}
m = {PythonTorch.Literal(m)}
n = {PythonTorch.Literal(n)}
v = {PythonTorch.Literal(v)}
put('conv', F.conv2d(x, w, b, stride=1, padding=1))
put('conv_s2g', F.conv2d(x, w, None, stride=2, padding=0))
put('convt', F.conv_transpose2d(x, wt, None, stride=2, padding=0))
put('convt_g', F.conv_transpose2d(x.reshape(1, 6, 8, 8), wt.repeat(2, 1, 1, 1), None, stride=2, groups=2))
put('matmul', m @ n)
put('linear', F.linear(m, n.t(), n[0]))
put('addmm', torch.addmm(v, m, n[:, :6], beta=0.5, alpha=2))
put('softmax', F.softmax(m, dim=-1))
put('log_softmax', F.log_softmax(m, dim=0))
put('layer_norm', F.layer_norm(m, (6,), v[0], v[1], 1e-5))
put('gelu', F.gelu(m))
put('leaky', F.leaky_relu(m, 0.2))
put('sigmoid', torch.sigmoid(m))
put('silu', F.silu(m))
put('tanh', torch.tanh(m))
put('rsqrt', (m * m + 1).rsqrt())
put('pow', m.abs().pow(1.5))
put('clamp', m.clamp(-0.5, 0.7))
put('var', m.var(dim=1))
put('std0', m.std(dim=0, unbiased=False))
put('norm', m.norm(dim=1))
put('cos', F.cosine_similarity(m, v, dim=1))
put('lerp', torch.lerp(m, v, 0.3))
put('where', torch.where(m > 0, m, v))
put('logsumexp', m.logsumexp(1))
put('bilinear', F.interpolate(x, size=(5, 11), mode='bilinear', align_corners=False))
put('bicubic_aa', F.interpolate(x, size=(5, 3), mode='bicubic', align_corners=False, antialias=True))
put('bilinear_aa', F.interpolate(x, size=(4, 4), mode='bilinear', align_corners=False, antialias=True))
put('nearest', F.interpolate(x, size=(16, 16), mode='nearest'))
put('area', F.interpolate(x, size=(3, 5), mode='area'))
put('avgpool', F.avg_pool2d(x, 2))
put('adaptive', F.adaptive_avg_pool2d(x, (3, 3)))
put('einsum', torch.einsum('ij,jk->ik', m, n))
put('bmm', torch.bmm(x.reshape(6, 8, 8), x.reshape(6, 8, 8)))
put('reflect', F.pad(x, (1, 2, 2, 1), mode='reflect'))
put('replicate', F.pad(x, (1, 2, 2, 1), mode='replicate'))
put('circular', F.pad(x, (1, 2, 2, 1), mode='circular'))
put('cumsum', m.cumsum(1))
put('group_norm', F.group_norm(x, 3, None, None, 1e-5))
""" + PythonTorch.Epilogue;
        var py = PythonTorch.RunForArrays(script);
        const double tol = 2e-5;
        TensorAssert.Close(py["conv"], Functional.Conv2d(x, w, bias, 1, 1), tol, "conv");
        TensorAssert.Close(py["conv_s2g"], Functional.Conv2d(x, w, null, 2, 0), tol, "conv stride 2");
        TensorAssert.Close(py["convt"], Functional.ConvTranspose2d(x, wt, null, 2), tol, "conv_transpose");
        TensorAssert.Close(py["convt_g"], Functional.ConvTranspose2d(x.Reshape(1, 6, 8, 8), wt.Repeat(2, 1, 1, 1), null, 2, groups: 2), tol, "conv_transpose groups");
        TensorAssert.Close(py["matmul"], m.Matmul(n), tol, "matmul");
        TensorAssert.Close(py["linear"], Functional.Linear(m, n.T(), n.Select(0, 0)), tol, "linear");
        TensorAssert.Close(py["addmm"], Functional.Addmm(v, m, n.Slice(1, 0, 6), 0.5, 2), tol, "addmm");
        TensorAssert.Close(py["softmax"], Functional.Softmax(m, -1), tol, "softmax");
        TensorAssert.Close(py["log_softmax"], Functional.LogSoftmax(m, 0), tol, "log_softmax");
        TensorAssert.Close(py["layer_norm"], Functional.LayerNorm(m, [6], v.Select(0, 0), v.Select(0, 1)), tol, "layer_norm");
        TensorAssert.Close(py["gelu"], Functional.Gelu(m), tol, "gelu");
        TensorAssert.Close(py["leaky"], m.LeakyRelu(0.2), tol, "leaky_relu");
        TensorAssert.Close(py["sigmoid"], m.Sigmoid(), tol, "sigmoid");
        TensorAssert.Close(py["silu"], m.Silu(), tol, "silu");
        TensorAssert.Close(py["tanh"], m.Tanh(), tol, "tanh");
        TensorAssert.Close(py["rsqrt"], (m * m + 1).Rsqrt(), tol, "rsqrt");
        TensorAssert.Close(py["pow"], m.Abs().Pow(1.5), tol, "pow");
        TensorAssert.Close(py["clamp"], m.Clamp(-0.5, 0.7), tol, "clamp");
        TensorAssert.Close(py["var"], m.Var([1]), tol, "var");
        TensorAssert.Close(py["std0"], m.Std([0], correction: 0), tol, "std");
        TensorAssert.Close(py["norm"], m.Norm(2, [1]), tol, "norm");
        TensorAssert.Close(py["cos"], Functional.CosineSimilarity(m, v, 1), tol, "cosine_similarity");
        TensorAssert.Close(py["lerp"], m.Lerp(v, 0.3), tol, "lerp");
        TensorAssert.Close(py["where"], LibTorch.Where(m.Gt(0), m, v), tol, "where");
        TensorAssert.Close(py["logsumexp"], m.LogSumExp(1), tol, "logsumexp");
        TensorAssert.Close(py["bilinear"], Functional.Interpolate(x, (5, 11), InterpolationMode.Bilinear, alignCorners: false), tol, "bilinear");
        TensorAssert.Close(py["bicubic_aa"], Functional.Interpolate(x, (5, 3), InterpolationMode.Bicubic, alignCorners: false, antialias: true), tol, "bicubic antialias");
        TensorAssert.Close(py["bilinear_aa"], Functional.Interpolate(x, (4, 4), InterpolationMode.Bilinear, alignCorners: false, antialias: true), tol, "bilinear antialias");
        TensorAssert.Close(py["nearest"], Functional.Interpolate(x, (16, 16)), tol, "nearest");
        TensorAssert.Close(py["area"], Functional.Interpolate(x, (3, 5), InterpolationMode.Area), tol, "area");
        TensorAssert.Close(py["avgpool"], Functional.AvgPool2d(x, 2), tol, "avg_pool2d");
        TensorAssert.Close(py["adaptive"], Functional.AdaptiveAvgPool2d(x, (3, 3)), tol, "adaptive_avg_pool2d");
        TensorAssert.Close(py["einsum"], LibTorch.Einsum("ij,jk->ik", m, n), tol, "einsum");
        TensorAssert.Close(py["bmm"], x.Reshape(6, 8, 8).Bmm(x.Reshape(6, 8, 8)), tol, "bmm");
        TensorAssert.Close(py["reflect"], Functional.Pad(x, [1, 2, 2, 1], PaddingMode.Reflect), 0, "reflect pad");
        TensorAssert.Close(py["replicate"], Functional.Pad(x, [1, 2, 2, 1], PaddingMode.Replicate), 0, "replicate pad");
        TensorAssert.Close(py["circular"], Functional.Pad(x, [1, 2, 2, 1], PaddingMode.Circular), 0, "circular pad");
        TensorAssert.Close(py["cumsum"], m.Cumsum(1), tol, "cumsum");
        TensorAssert.Close(py["group_norm"], Functional.GroupNorm(x, 3), tol, "group_norm");
    }
}

public class MemoryFormatTests
{
    [Fact]
    public void ChannelsLastKeepsValuesAndChangesStrides()
    {
        using var scope = TensorScope.Begin();
        var x = LibTorch.Arange(2 * 3 * 4 * 5, ScalarType.Float32).View(2, 3, 4, 5);
        var cl = x.Contiguous(MemoryFormat.ChannelsLast);
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.Strides);
        Assert.True(cl.IsContiguousIn(MemoryFormat.ChannelsLast));
        Assert.False(cl.IsContiguous);
        Assert.True(cl.Equal(x));
        Assert.True(cl.Contiguous(MemoryFormat.Contiguous).IsContiguous);
        var w = LibTorch.Ones([2, 3, 3, 3]);
        Assert.True(Functional.Conv2d(cl, w, null, 1, 1).AllClose(Functional.Conv2d(x, w, null, 1, 1), 1e-5, 1e-4));
    }

    [Fact]
    public void InPlaceLeakyRelu()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(new float[] { -2, 0, 3 });
        Assert.Same(x, x.LeakyRelu_(0.5));
        Assert.Equal(new float[] { -1, 0, 3 }, x.ToArray<float>());
    }
}

public class VarianceTests
{
    [Fact]
    public void CorrectionsMatchTheirDefinition()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(new double[] { 1, 2, 4, 7, 11 });
        // Σ(x − mean)² = 66 for mean 5
        Assert.Equal(66.0 / 5, x.Var(correction: 0).Item<double>(), 12);
        Assert.Equal(66.0 / 4, x.Var().Item<double>(), 12);
        Assert.Equal(66.0 / 3, x.Var(correction: 2).Item<double>(), 12);
        Assert.Equal(Math.Sqrt(66.0 / 3), x.Std(correction: 2).Item<double>(), 12);
        Assert.ThrowsAny<TorchException>(() => x.Var(correction: 5));
    }
}
