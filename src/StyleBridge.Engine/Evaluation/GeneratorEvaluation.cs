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
/// <param name="CodedScenes">For a scene-coded generator (<see cref="SceneCode"/>), what the oracle reads against what each z codes; else null.</param>
public sealed record GeneratorReport(int Samples, IReadOnlyDictionary<WorldAttribute, double[]> Distribution, double CleanFraction,
    double FrechetDistance, double RenderFrechetDistance, CodedSceneReport? CodedScenes = null);

/// <param name="Confusion">Per attribute, [coded value, read value] counts over the samples.</param>
public sealed record CodedSceneReport(IReadOnlyDictionary<WorldAttribute, long[,]> Confusion)
{
    /// <summary>The fraction of samples whose oracle reading of <paramref name="attribute"/> is the coded value.</summary>
    public double Agreement(WorldAttribute attribute)
    {
        var m = Confusion[attribute];
        long diagonal = 0, all = 0;
        for (int i = 0; i < m.GetLength(0); i++)
            for (int j = 0; j < m.GetLength(1); j++)
            {
                all += m[i, j];
                if (i == j)
                    diagonal += m[i, j];
            }

        return all == 0 ? 0 : diagonal / (double)all;
    }

    /// <summary>The fraction of samples coded <paramref name="value"/> that the oracle reads as it.</summary>
    public double Recall(WorldAttribute attribute, int value)
    {
        var m = Confusion[attribute];
        long row = 0;
        for (int j = 0; j < m.GetLength(1); j++)
            row += m[value, j];
        return row == 0 ? 0 : m[value, value] / (double)row;
    }
}

/// <summary>The Shapes generator read back by the attribute oracle, as the papers read FFHQ generators with FID.</summary>
public static class GeneratorEvaluation
{
    public const double CleanConfidence = 0.9;

    /// <summary>Allows the ±2 px size and position jitter of a real render (≈ 9 levels for a large shape) with margin.</summary>
    public const double CleanMeanAbsoluteError = 16;
    private const int Batch = 250;

    /// <param name="sceneCoded">
    /// The generator's z codes scenes (<see cref="SceneCode"/>; <see cref="IsSceneCoded"/>): also count what the oracle
    /// reads against what each z codes.
    /// </param>
    public static GeneratorReport Evaluate(StyleGenerator generator, AttributeOracle oracle, int samples, ulong seed, double truncation = 1, bool sceneCoded = false)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(oracle);
        if (sceneCoded && generator.Config.ZDim < SceneCode.Dimensions + 8)
            throw new ArgumentException($"a generator with {generator.Config.ZDim}-dimensional z codes no scenes");
        var counts = ShapeAttributes.Attributes.ToDictionary(a => a, a => new double[ShapeAttributes.ValueCount(a)]);
        var confusion = ShapeAttributes.Attributes.ToDictionary(a => a, a => new long[ShapeAttributes.ValueCount(a), ShapeAttributes.ValueCount(a)]);
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
                var coded = sceneCoded ? SceneCode.Decode(z) : null;
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

                for (int i = 0; coded is not null && i < n; i++)
                    for (int a = 0; a < read.Length; a++)
                    {
                        var attribute = ShapeAttributes.Attributes[a];
                        confusion[attribute][coded[i].Attributes.ValueOf(attribute), read[a][i]]++;
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
            return new GeneratorReport(samples, counts, clean / (double)samples, FrechetDistance.Between(s, r), FrechetDistance.Between(r2, r),
                sceneCoded ? new CodedSceneReport(confusion) : null);
        }
        finally
        {
            foreach (var t in sampleFeatures.Concat(renderFeatures).Concat(secondRenderFeatures))
                t.Dispose();
        }
    }

    /// <summary>Trainers whose generators' z codes scenes (<see cref="SceneCode"/>), as their files' <c>producer</c> metadata names them.</summary>
    public static IReadOnlySet<string> SceneCodedProducers { get; } = new HashSet<string>(StringComparer.Ordinal) { nameof(Training.SceneMappingTrainer), nameof(Training.SceneDistillationTrainer) };

    /// <summary>Whether a generator file's metadata says its z codes scenes.</summary>
    public static bool IsSceneCoded(IReadOnlyDictionary<string, string> metadata) =>
        metadata is not null && metadata.TryGetValue("producer", out var producer) && SceneCodedProducers.Contains(producer);
}
