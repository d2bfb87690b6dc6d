using StyleBridge.Models.StyleGan2;
using StyleBridge.Models.StyleGan2.Ops;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>Synthesis options and code paths the golden data does not pin down on its own.</summary>
public class GeneratorBehaviourTests
{
    private static GoldenModelSet Rosinality => StyleGanGolden.Sets.Last(s => s.Folder == "rosinality");

    /// <summary>rosinality's modulated conv for one sample, with the generic upfirdn2d: the oracle for both fast paths.</summary>
    private static Tensor PerSampleReference(ModulatedConv2d conv, Tensor x, Tensor s, Tensor bias, double gain)
    {
        var outputs = new List<Tensor>();
        for (long i = 0; i < x.size(0); i++)
        {
            var xi = x.narrow(0, i, 1);
            var w = conv.ModulatedWeight(s.narrow(0, i, 1)).select(0, 0); // [O, I, k, k]
            Tensor y;
            if (conv.Upsample)
            {
                y = Functional.ConvTranspose2d(xi, w.transpose(0, 1), null, 2, 0);
                y = Upfirdn2d.Apply(y, conv.Blur!.Kernel, pad: conv.Blur.Pad);
            }
            else
            {
                y = Functional.Conv2d(xi, w, null, 1, conv.KernelSize / 2);
            }

            outputs.Add(y.add(bias.view(1, -1, 1, 1)).mul(gain));
        }

        return cat(outputs, 0);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void FusedAndNonFusedModulatedConvsMatchThePerSampleReference(bool demodulate, bool upsample)
    {
        Tensors.ManualSeed(3);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        int k = demodulate ? 3 : 1;
        using var fused = new ModulatedConv2d(6, 5, k, 8, demodulate, upsample, path: ModulatedConvPath.Fused);
        using var nonFused = new ModulatedConv2d(6, 5, k, 8, demodulate, upsample, path: ModulatedConvPath.NonFused);
        StateDicts.LoadInto(nonFused, fused.state_dict());
        using var g = new RandomGenerator((ulong)4);
        var x = Tensors.Randn(new long[] {3, 6, 7, 7}, g);
        var s = fused.Modulation.Forward(Tensors.Randn(new long[] {3, 8}, g));
        var bias = Tensors.Randn(new long[] {5}, g);
        double gain = Math.Sqrt(2);

        var reference = PerSampleReference(fused, x, s, bias, gain);
        var a = fused.Forward(x, s, bias, gain);
        var b = nonFused.Forward(x, s, bias, gain);
        Assert.Equal(reference.shape, a.shape);
        Assert.True(TensorDiff.MaxAbs(a, reference) < 1e-5, $"fused {TensorDiff.MaxAbs(a, reference):E2}");
        Assert.True(TensorDiff.MaxAbs(b, reference) < 1e-5, $"non-fused {TensorDiff.MaxAbs(b, reference):E2}");
    }

    [Theory]
    [InlineData(ModulatedConvPath.Fused, null)]
    [InlineData(ModulatedConvPath.NonFused, null)]
    [InlineData(ModulatedConvPath.Auto, 3)]
    public void ABatchEqualsItsSamplesSynthesisedOneByOne(ModulatedConvPath path, int? maxCpuBatch)
    {
        var set = Rosinality;
        using var g = Generator.FromFile(set.StatePath, c => c with { ModulatedConvPath = path, MaxCpuBatch = maxCpuBatch });
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var ws = StyleGanGolden.Io(set)["wplus_rand"];
        var batch = g.Synthesize(ws);
        Assert.True(TensorDiff.MaxAbs(batch, StyleGanGolden.Io(set)["img_wplus_rand"]) <= StyleGanGolden.ImageTolerance);
        for (long i = 0; i < ws.size(0); i++)
            Assert.True(TensorDiff.MaxAbs(g.Synthesize(ws.narrow(0, i, 1)), batch.narrow(0, i, 1)) < 1e-5);
    }

    [Fact]
    public void NoiseModes()
    {
        var set = Rosinality;
        using var g = Generator.FromFile(set.StatePath);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var ws = StyleGanGolden.Io(set)["wplus_rand"];
        var constant = g.Synthesize(ws);
        Assert.True(TensorDiff.MaxAbs(constant, StyleGanGolden.Io(set)["img_wplus_rand"]) <= StyleGanGolden.ImageTolerance);
        var none = g.Synthesize(ws, new SynthesisOptions(NoiseMode.None));
        Assert.True(TensorDiff.MaxAbs(none, constant) > 0.1);

        Tensor Random(long seed)
        {
            using var rng = new RandomGenerator((ulong)seed);
            return g.Synthesize(ws, new SynthesisOptions(NoiseMode.Random, rng));
        }

        Assert.True(Random(1).Equal(Random(1)));
        Assert.True(TensorDiff.MaxAbs(Random(1), Random(2)) > 0.1);
        Assert.True(TensorDiff.MaxAbs(Random(1), constant) > 0.1);

        // 'none' is exactly 'const' with every noise strength at zero
        using (no_grad())
            foreach (var conv in g.Convs.Append(g.Conv1))
                conv.Noise.Weight.zero_();
        Assert.True(TensorDiff.MaxAbs(g.Synthesize(ws), none) < 1e-6);
    }

    [Fact]
    public void TruncationCutoffLeavesTheLaterRowsAlone()
    {
        var set = StyleGanGolden.Sets.First(s => s.Folder == "nvidia");
        var g = StyleGanGolden.Model(set);
        using var scope = NewDisposeScope();
        var ws = StyleGanGolden.Io(set)["wplus_rand"];
        var all = g.Truncate(ws, 0.7);
        var cut = g.Truncate(ws, 0.7, cutoff: 3);
        Assert.True(cut.slice(1, 0, 3, 1).Equal(all.slice(1, 0, 3, 1)));
        Assert.True(cut.slice(1, 3, long.MaxValue, 1).Equal(ws.slice(1, 3, long.MaxValue, 1)));
        Assert.False(all.slice(1, 3, long.MaxValue, 1).Equal(ws.slice(1, 3, long.MaxValue, 1)));
        Assert.True(g.Truncate(ws, 1).Equal(ws));
        Assert.True(TensorDiff.MaxAbs(g.Truncate(ws, 0), g.LatentAvg!.expand(ws.shape)) == 0);

        using var configured = new Generator(g.Config with { TruncationCutoff = 3 });
        configured.SetLatentAvg(g.LatentAvg);
        Assert.True(configured.Truncate(ws, 0.7).Equal(cut));
    }

    [Fact]
    public void StyleMixingAndMeanLatent()
    {
        var set = Rosinality;
        var g = StyleGanGolden.Model(set);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var io = StyleGanGolden.Io(set);
        using var rng = new RandomGenerator((ulong)3);
        for (int trial = 0; trial < 20; trial++)
        {
            var mixed = g.MixStyles(io["w"], io["w2"], rng);
            int index = Enumerable.Range(0, g.NLatent).Count(i => mixed.select(1, i).Equal(io["w"]));
            Assert.InRange(index, 1, g.NLatent - 1);
            Assert.True(mixed.select(1, index).Equal(io["w2"]));
        }

        using var a = new RandomGenerator((ulong)12);
        using var b = new RandomGenerator((ulong)12);
        var m1 = g.MeanLatent(64, a);
        Assert.Equal(new long[] { 1, g.Config.StyleDim }, m1.shape);
        Assert.True(m1.Equal(g.MeanLatent(64, b)));
    }

    [Fact]
    public void GradientsFlowToTheLatentWhenGradModeIsOn()
    {
        var set = Rosinality;
        var g = StyleGanGolden.Model(set);
        using var scope = NewDisposeScope();
        var ws = StyleGanGolden.Io(set)["wplus_rand"].clone().requires_grad_();
        var image = g.Synthesize(ws);
        Assert.True(image.requires_grad);
        Assert.True(TensorDiff.MaxAbs(image.detach(), StyleGanGolden.Io(set)["img_wplus_rand"]) <= StyleGanGolden.ImageTolerance);
        image.square().sum().backward();
        var grad = ws.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorAccountingCollection
{
    public const string Name = "StyleGAN2 tensor accounting";
}

[Collection(TensorAccountingCollection.Name)]
public class GeneratorMemoryTests
{
    [Fact]
    public void SynthesisLeavesNoTensorBehind()
    {
        var set = StyleGanGolden.Sets.First(s => s.Folder == "nvidia");
        var g = StyleGanGolden.Model(set);
        var io = StyleGanGolden.Io(set);
        using (var warm = NewDisposeScope())
            g.Synthesize(io["wplus_rand"]);

        // Garbage from earlier tests must be finalized now, not while this test counts.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long live = Tensors.LiveTensors;
        using (var scope = NewDisposeScope())
        using (var mode = inference_mode())
        {
            var image = g.Synthesize(io["wplus_rand"]);
            Assert.Equal(1, scope.DisposablesCount); // only the result is left in the caller's scope
            var styles = g.Styles(io["wplus_rand"]);
            using var rng = new RandomGenerator((ulong)1);
            g.SynthesizeFromStyles(styles, new SynthesisOptions(NoiseMode.Random, rng));
        }

        Assert.Equal(live, Tensors.LiveTensors);
    }
}
