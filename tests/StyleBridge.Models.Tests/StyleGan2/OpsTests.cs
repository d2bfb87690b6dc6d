using StyleBridge.Models.StyleGan2;
using StyleBridge.Models.StyleGan2.Ops;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>
/// The reference ops against their definitions, computed element by element in float64, and the cheap depthwise
/// forms the synthesis uses against the generic port.
/// </summary>
public class OpsTests
{
    /// <summary>upfirdn2d straight from its definition: zero insertion, pad/crop, true convolution, decimation.</summary>
    private static double[] Definition(double[] x, long n, long c, long h, long w, double[] k, int kh, int kw,
        (int X, int Y) up, (int X, int Y) down, (int X0, int X1, int Y0, int Y1) pad, out long outH, out long outW)
    {
        long oh = (h * up.Y + pad.Y0 + pad.Y1 - kh) / down.Y + 1, ow = (w * up.X + pad.X0 + pad.X1 - kw) / down.X + 1;
        var result = new double[n * c * oh * ow];
        double Upsampled(long plane, long i, long j)
        {
            long ui = i - pad.Y0, uj = j - pad.X0; // index into the zero-inserted signal of length h·up
            if (ui < 0 || uj < 0 || ui >= h * up.Y || uj >= w * up.X || ui % up.Y != 0 || uj % up.X != 0)
                return 0;
            return x[(plane * h + ui / up.Y) * w + uj / up.X];
        }

        for (long plane = 0; plane < n * c; plane++)
            for (long o = 0; o < oh; o++)
                for (long p = 0; p < ow; p++)
                {
                    double sum = 0;
                    for (int a = 0; a < kh; a++)
                        for (int b = 0; b < kw; b++)
                            sum += Upsampled(plane, o * down.Y + a, p * down.X + b) * k[(kh - 1 - a) * kw + (kw - 1 - b)];
                    result[(plane * oh + o) * ow + p] = sum;
                }

        outH = oh;
        outW = ow;
        return result;
    }

    private static Tensor Random(RandomGenerator g, params long[] shape) => Tensors.Randn(shape, g, ScalarType.Float64);

    private static double MaxDiff(Tensor a, Tensor b) => TensorDiff.MaxAbs(a, b);

    public static TheoryData<int, int, int, int, int, int, int, int> UpfirdnCases() => new()
    {
        // upX, upY, downX, downY, padX0, padX1, padY0, padY1
        { 1, 1, 1, 1, 1, 1, 1, 1 },
        { 2, 2, 1, 1, 2, 1, 2, 1 },
        { 1, 1, 2, 2, 1, 1, 1, 1 },
        { 2, 2, 2, 2, 0, 0, 0, 0 },
        { 3, 1, 1, 2, -1, 2, 0, -1 },
        { 2, 1, 1, 1, -2, -1, 3, 0 },
    };

    [Theory]
    [MemberData(nameof(UpfirdnCases))]
    public void GenericUpfirdn2dFollowsTheDefinition(int upX, int upY, int downX, int downY, int padX0, int padX1, int padY0, int padY1)
    {
        using var scope = NewDisposeScope();
        using var g = new RandomGenerator((ulong)7);
        var x = Random(g, 2, 3, 5, 6);
        var kernel = Random(g, 3, 4); // asymmetric: catches a missing flip
        var actual = Upfirdn2d.Apply(x, kernel, (upX, upY), (downX, downY), (padX0, padX1, padY0, padY1));
        var expected = Definition(x.ToArray<double>(), 2, 3, 5, 6, kernel.ToArray<double>(), 3, 4,
            (upX, upY), (downX, downY), (padX0, padX1, padY0, padY1), out long oh, out long ow);
        Assert.Equal(new long[] { 2, 3, oh, ow }, actual.shape);
        Assert.True(MaxDiff(actual, Functional.FromArray(expected, 2, 3, oh, ow)) < 1e-12);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(0, 2)]
    public void DepthwiseFilterEqualsTheGenericPathWithBias(int pad0, int pad1)
    {
        using var scope = NewDisposeScope();
        using var g = new RandomGenerator((ulong)8);
        var x = Random(g, 2, 4, 9, 9);
        var kernel = Random(g, 4, 4);
        var bias = Random(g, 4);
        var fast = Upfirdn2d.Filter(x, kernel, (pad0, pad1), bias);
        var generic = Upfirdn2d.Apply(x, kernel, pad: (pad0, pad1)).add(bias.view(1, 4, 1, 1));
        Assert.True(MaxDiff(fast, generic) < 1e-12);
    }

    [Fact]
    public void SkipUpsampleAsTransposedConvEqualsUpfirdn2dUp2Pad21()
    {
        using var scope = NewDisposeScope();
        using var g = new RandomGenerator((ulong)9);
        var x = Random(g, 2, 3, 8, 8);
        var styleganKernel = FirKernel.Make([1, 3, 3, 1], 4).to(ScalarType.Float64);
        var asymmetric = Random(g, 4, 4);
        foreach (var kernel in new[] { styleganKernel, asymmetric })
        {
            var fast = Upfirdn2d.Upsample(x, kernel, 2, (2, 1));
            var generic = Upfirdn2d.Apply(x, kernel, up: 2, pad: (2, 1));
            Assert.Equal(new long[] { 2, 3, 16, 16 }, fast.shape);
            Assert.True(MaxDiff(fast, generic) < 1e-12);
        }

        // padding the transposed conv cannot express falls back to the generic path
        var odd = Upfirdn2d.Upsample(x, asymmetric, 2, (5, 0));
        Assert.True(MaxDiff(odd, Upfirdn2d.Apply(x, asymmetric, up: 2, pad: (5, 0))) < 1e-12);
    }

    [Fact]
    public void UpsampleModuleUsesRosinalityPaddingAndGain()
    {
        using var up = new Upsample([1, 3, 3, 1]);
        Assert.Equal((2, 1), up.Pad);
        using var blur = new ModulatedConv2d(4, 4, 3, 8, upsample: true).Blur!;
        Assert.Equal((1, 1), blur.Pad);
        using var scope = NewDisposeScope();
        Assert.Equal(4.0, up.Kernel.sum().item<float>(), 6);
        Assert.Equal(9.0 / 64 * 4, up.Kernel.select(0, 1).select(0, 1).item<float>(), 7);
    }

    [Fact]
    public void FusedLeakyReluFollowsTheDefinitionAndTheFoldedFormAgrees()
    {
        using var scope = NewDisposeScope();
        using var g = new RandomGenerator((ulong)10);
        var x = Random(g, 2, 5, 3, 3).mul(300);
        var bias = Random(g, 5);
        var xs = x.ToArray<double>();
        var bs = bias.ToArray<double>();
        var expected = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i] + bs[i / 9 % 5];
            expected[i] = (v >= 0 ? v : 0.2 * v) * Math.Sqrt(2);
        }

        var reference = Functional.FromArray(expected, 2, 5, 3, 3);
        Assert.True(MaxDiff(FusedLeakyRelu.Apply(x, bias), reference) < 1e-12);

        var folded = FusedLeakyRelu.ApplyPrescaled(x.add(bias.view(1, 5, 1, 1)).mul(Math.Sqrt(2)));
        Assert.True(MaxDiff(folded, reference) < 1e-9);

        var clamped = FusedLeakyRelu.Apply(x, bias, clamp: 256);
        Assert.True(MaxDiff(clamped, reference.clamp(-256, 256)) < 1e-12);
        Assert.True(clamped.abs().max().item<double>() <= 256);
        Assert.True(reference.abs().max().item<double>() > 256); // the clamp was exercised
    }
}
