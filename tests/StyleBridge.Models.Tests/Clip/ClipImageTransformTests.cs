using StyleBridge.Models.Clip;

namespace StyleBridge.Models.Tests;

/// <summary>The differentiable path for generator output.</summary>
public sealed class ClipImageTransformTests
{
    [Theory]
    [InlineData(64, 224)]
    [InlineData(256, 224)]
    [InlineData(64, 32)]
    public void StyleClipPoolEqualsUpsampleThenAveragePool(int size, int resolution)
    {
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)7);
        var x = Tensors.Rand(new long[] {2, 3, size, size}, gen).mul_(2).sub_(1);
        var ours = ClipImageTransform.StyleClip(resolution).Apply(x);

        // StyleCLIP's modules, literally: Upsample(scale_factor=7) (nearest), AvgPool2d(kernel_size=size // 32) for 224
        int kernel = 7 * size / resolution;
        var upsampled = nn.functional.interpolate(x, [7L * size, 7L * size], mode: InterpolationMode.Nearest);
        var reference = nn.functional.avg_pool2d(upsampled, kernel);

        Assert.Equal([2, 3, resolution, resolution], ours.shape);
        Assert.True(TensorDiff.MaxAbs(ours, reference) <= 2e-6, $"max |Δ| {TensorDiff.MaxAbs(ours, reference):E2}");
    }

    [Fact]
    public void StyleClipPoolAveragesExactAreasAtAnyRatio()
    {
        // 1000 → 224: u = 28, k = 125 (the reference's fixed u = 7 would pool 7000 px to 225 and fail in CLIP)
        using var scope = NewDisposeScope();
        var x = arange(1000, dtype: ScalarType.Float64).view(1, 1, 1, 1000).expand(1, 3, 1000, 1000);
        var y = ClipImageTransform.StyleClip().Apply(x.contiguous());
        Assert.Equal([1, 3, 224, 224], y.shape);
        // column o averages pixels over [o·1000/224, (o+1)·1000/224): the mean of the ramp on that interval
        for (int o = 0; o < 224; o += 37)
        {
            double a = o * 1000.0 / 224, b = (o + 1) * 1000.0 / 224, expected = 0;
            for (int p = (int)Math.Floor(a); p < b; p++)
                expected += p * (Math.Min(b, p + 1) - Math.Max(a, p));
            expected /= b - a;
            Assert.Equal(expected, y[0, 0, 0, o].item<double>(), 3);
        }
    }

    [Fact]
    public void AreaAveragesTheCoveredPixels()
    {
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)3);
        const int size = 12, resolution = 5;
        var x = Tensors.Rand(new long[] {1, 3, size, size}, gen);
        var ours = new ClipImageTransform(resolution, ClipResizeMode.Area, ClipInputNormalization.None).Apply(x).ToArray<float>();
        var pixels = x.ToArray<float>();

        // output i averages input [floor(i·in/out), ceil((i+1)·in/out)) on each axis
        double maxDiff = 0;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < resolution; i++)
                for (int j = 0; j < resolution; j++)
                {
                    int y0 = i * size / resolution, y1 = ((i + 1) * size + resolution - 1) / resolution;
                    int x0 = j * size / resolution, x1 = ((j + 1) * size + resolution - 1) / resolution;
                    double sum = 0;
                    for (int y = y0; y < y1; y++)
                        for (int xx = x0; xx < x1; xx++)
                            sum += pixels[(c * size + y) * size + xx];
                    double expected = sum / ((y1 - y0) * (x1 - x0));
                    maxDiff = Math.Max(maxDiff, Math.Abs(expected - ours[(c * resolution + i) * resolution + j]));
                }

        Assert.True(maxDiff <= 1e-6, $"max |Δ| {maxDiff:E2}");
    }

    [Fact]
    public void AreaWithAnIntermediateSizeResizesTwice()
    {
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)5);
        var x = Tensors.Rand(new long[] {1, 3, 64, 64}, gen);
        var chained = new ClipImageTransform(28, ClipResizeMode.Area, ClipInputNormalization.None) { AreaIntermediateSize = 32 }.Apply(x);
        var expected = nn.functional.adaptive_avg_pool2d(nn.functional.adaptive_avg_pool2d(x, [32, 32]), [28, 28]);
        Assert.True(chained.Equal(expected));
    }

    [Fact]
    public void NormalisationsFollowTheReferenceArithmetic()
    {
        using var scope = NewDisposeScope();
        float[] values = [-1f, -0.25f, 0.6f, 1f];
        var x = Functional.FromArray(values.SelectMany(v => Enumerable.Repeat(v, 3 * 4)).ToArray(), 4, 3, 2, 2);
        var single = new ClipImageTransform(2, ClipResizeMode.Area, ClipInputNormalization.MeanStd).Apply(x).ToArray<float>();
        var twice = Clip2LatentOfficial(2).Apply(x).ToArray<float>();
        var raw = new ClipImageTransform(2, ClipResizeMode.Area, ClipInputNormalization.None).Apply(x).ToArray<float>();

        for (int n = 0; n < values.Length; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 4; p++)
                {
                    int i = (n * 3 + c) * 4 + p;
                    float u = values[n] * 0.5f + 0.5f;
                    float once = (u - ClipPreprocessor.Mean[c]) / ClipPreprocessor.Std[c];
                    float again = (Math.Clamp(once, 0f, 1f) - ClipPreprocessor.Mean[c]) / ClipPreprocessor.Std[c];
                    Assert.Equal(once, single[i], 6);
                    Assert.Equal(again, twice[i], 6);
                    Assert.Equal(values[n], raw[i]);
                }
    }

    [Fact]
    public void BicubicCropsTheCentreOfTheShorterSideResize()
    {
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)11);
        var square = Tensors.Rand(new long[] {1, 3, 16, 16}, gen);
        var none = new ClipImageTransform(16, ClipResizeMode.Bicubic, ClipInputNormalization.None);
        Assert.True(none.Apply(square).Equal(square)); // nothing to resize or crop

        var wide = Tensors.Rand(new long[] {1, 3, 16, 24}, gen);
        var cropped = none.Apply(wide);
        Assert.Equal([1, 3, 16, 16], cropped.shape);
        Assert.True(cropped.Equal(wide.narrow(3, 4, 16)));

        var large = Tensors.Rand(new long[] {2, 3, 48, 64}, gen);
        var expected = nn.functional.interpolate(large, [16, 21], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true).narrow(3, 2, 16);
        Assert.True(none.Apply(large).Equal(expected));
    }

    [Theory]
    [InlineData(ClipResizeMode.Area, ClipInputNormalization.MeanStd)]
    [InlineData(ClipResizeMode.StyleClipPool, ClipInputNormalization.None)]
    [InlineData(ClipResizeMode.Bicubic, ClipInputNormalization.DoubleMeanStdWithClamp)]
    public void GradientsReachEveryPixel(ClipResizeMode resize, ClipInputNormalization normalization)
    {
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)1);
        var x = Tensors.Rand(new long[] {1, 3, 64, 64}, gen).mul_(0.2).requires_grad_();
        var y = new ClipImageTransform(32, resize, normalization).Apply(x);
        y.sum().backward();
        var grad = x.grad;
        Assert.NotNull(grad);
        Assert.Equal(x.shape, grad!.shape);
        Assert.True(grad.abs().gt(0).all().item<bool>(), "some input pixel got no gradient");
    }

    [Fact]
    public void TransformedGeneratorOutputRunsThroughTheModel()
    {
        var set = ClipGolden.ModelSets()[0];
        using var model = ClipLoader.Load(set.StatePath, c => c.WithJsonFile(set.ConfigPath));
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator((ulong)2);
        var x = Tensors.Rand(new long[] {2, 3, 2 * model.Config.ImageResolution, 2 * model.Config.ImageResolution}, gen).mul_(2).sub_(1).requires_grad_();
        var features = model.EncodeImage(ClipImageTransform.StyleClip(model.Config.ImageResolution).Apply(x));
        Assert.Equal([2, model.Config.EmbedDim], features.shape);
        features.square().sum().backward();
        Assert.NotNull(x.grad);
    }

    private static ClipImageTransform Clip2LatentOfficial(int resolution) => ClipImageTransform.Clip2Latent(official: true, resolution);
}
