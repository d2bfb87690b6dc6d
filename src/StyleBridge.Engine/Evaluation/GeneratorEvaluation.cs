using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleGenerator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Evaluation;

/// <param name="Distribution">Per attribute, the fraction of samples the oracle reads as each value (class order).</param>
/// <param name="CleanFraction">
/// Samples that show one clean object: every oracle head at least <see cref="GeneratorEvaluation.CleanConfidence"/>
/// sure, and the sample within <see cref="GeneratorEvaluation.CleanMeanAbsoluteError"/> (mean absolute difference, in
/// 8-bit levels) of the nominal render of the attributes the oracle reads, so a confident reading of a smudge, a
/// second object or an off-palette colour does not count.
/// </param>
/// <param name="FrechetDistance">Between oracle features of the samples and of as many fresh renders.</param>
/// <param name="RenderFrechetDistance">The same between two independent sets of renders: the floor sampling noise sets.</param>
public sealed record GeneratorReport(int Samples, IReadOnlyDictionary<WorldAttribute, double[]> Distribution, double CleanFraction,
    double FrechetDistance, double RenderFrechetDistance);

/// <summary>The Shapes generator read back by the attribute oracle, as the papers read FFHQ generators with FID.</summary>
public static class GeneratorEvaluation
{
    public const double CleanConfidence = 0.9;

    /// <summary>Allows the ±2 px size and position jitter of a real render (≈ 9 levels for a large shape) with margin.</summary>
    public const double CleanMeanAbsoluteError = 16;
    private const int Batch = 250;

    public static GeneratorReport Evaluate(StyleGenerator generator, AttributeOracle oracle, int samples, ulong seed, double truncation = 1)
    {
        var counts = ShapeAttributes.Attributes.ToDictionary(a => a, a => new double[ShapeAttributes.ValueCount(a)]);
        int clean = 0;
        var sampleFeatures = new List<Tensor>();
        var renderFeatures = new List<Tensor>();
        var secondRenderFeatures = new List<Tensor>();
        using var rng = new RandomGenerator(seed);
        var renders = new ShapeSampler(seed ^ 0x5EED_0000_0000_0001);
        var moreRenders = new ShapeSampler(seed ^ 0x5EED_0000_0000_0002);
        try
        {
            for (int done = 0; done < samples; done += Batch)
            {
                int n = Math.Min(Batch, samples - done);
                using var scope = NewDisposeScope();
                using var mode = inference_mode();
                var z = randn([n, generator.Config.ZDim], generator: rng);
                var images = generator.Generate(z, truncation, new SynthesisOptions(NoiseMode.Random, rng)).clamp(-1, 1);
                var (features, logits) = oracle.Forward(images);
                sampleFeatures.Add(features.DetachFromDisposeScope());
                var sure = ones(n, ScalarType.Bool);
                var read = new long[logits.Length][];
                for (int a = 0; a < logits.Length; a++)
                {
                    var probabilities = logits[a].softmax(1);
                    read[a] = probabilities.argmax(1).data<long>().ToArray();
                    foreach (long c in read[a])
                        counts[ShapeAttributes.Attributes[a]][c]++;
                    sure = sure.logical_and(probabilities.max(1).values.ge(CleanConfidence));
                }
                var nominal = Enumerable.Range(0, n).Select(i => ShapeScene.Nominal(new ShapeAttributes(
                    (Shape)read[0][i], (ShapeColour)read[1][i], (ShapeSize)read[2][i], (ShapePosition)read[3][i], (Background)read[4][i]))).ToList();
                var error = images.sub(ShapeSampler.Render(nominal)).abs().mean([1, 2, 3]).mul(127.5);
                clean += (int)sure.logical_and(error.le(CleanMeanAbsoluteError)).sum().item<long>();
                renderFeatures.Add(oracle.Forward(ShapeSampler.Render(renders.SampleBatch(n))).Features.DetachFromDisposeScope());
                secondRenderFeatures.Add(oracle.Forward(ShapeSampler.Render(moreRenders.SampleBatch(n))).Features.DetachFromDisposeScope());
            }

            using var all = NewDisposeScope();
            var s = cat(sampleFeatures, 0);
            var r = cat(renderFeatures, 0);
            var r2 = cat(secondRenderFeatures, 0);
            foreach (var row in counts.Values)
                for (int i = 0; i < row.Length; i++)
                    row[i] /= samples;
            return new GeneratorReport(samples, counts, clean / (double)samples, FrechetDistance.Between(s, r), FrechetDistance.Between(r2, r));
        }
        finally
        {
            foreach (var t in sampleFeatures.Concat(renderFeatures).Concat(secondRenderFeatures))
                t.Dispose();
        }
    }
}
