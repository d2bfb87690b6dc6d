using StyleBridge.Engine.Editing;
using StyleBridge.Engine.World;

namespace StyleBridge.Engine.Evaluation;

/// <summary>Inversion figures: PSNR of the reconstruction (8-bit) and the share of renders whose five attributes survive.</summary>
public sealed record InversionReport(int Renders, int RefineSteps, double Psnr, double AttributesKept, IReadOnlyDictionary<WorldAttribute, double> PerAttribute);

/// <summary>Colour-edit figures of one method at one strength.</summary>
/// <param name="Success">The oracle reads the target colour.</param>
/// <param name="Preservation">Shape, position and background as the oracle read them on the edit's input.</param>
public sealed record EditReport(EditMethod Method, double Strength, int Edits, double Success, double Preservation);

/// <summary>
/// closed-world.md §4, editing and inversion: fresh renders → CSLA inversion (PSNR, attributes kept); colour edits
/// "a {c} shape" → "a {c′} shape" on inverted renders of colour c, every ordered colour pair, per method: success and
/// preservation read by the oracle.
/// </summary>
public static class EditEvaluation
{
    private static readonly WorldAttribute[] Preserved = [WorldAttribute.Shape, WorldAttribute.Position, WorldAttribute.Background];

    /// <param name="refineSteps">0: the encoder alone; else that many optimisation steps after it (<c>--refine-steps</c>).</param>
    public static InversionReport Inversion(EditPipeline pipeline, AttributeOracle oracle, int count, ulong seed, int refineSteps = 0, int batch = 50)
    {
        var scenes = new ShapeSampler(seed).SampleBatch(count);
        double psnr = 0;
        int kept = 0;
        var perAttribute = ShapeAttributes.Attributes.ToDictionary(a => a, _ => 0);
        for (int start = 0; start < count; start += batch)
        {
            using var scope = NewDisposeScope();
            var part = scenes.Skip(start).Take(batch).ToList();
            var images = ShapeSampler.Render(part);
            using var inverted = pipeline.Invert(images, refineSteps);
            var bytes = inverted.Images.clamp(-1, 1).add(1).mul(127.5).round();
            var target = images.add(1).mul(127.5).round();
            var mse = bytes.sub(target).square().mean([1, 2, 3]).to(ScalarType.Float64).data<double>().ToArray();
            psnr += mse.Sum(m => m == 0 ? 100 : 10 * Math.Log10(255.0 * 255.0 / m));
            var read = oracle.Predict(inverted.Images.clamp(-1, 1));
            for (int i = 0; i < part.Count; i++)
            {
                bool all = true;
                foreach (var a in ShapeAttributes.Attributes)
                {
                    bool same = read[i, (int)a] == part[i].Attributes.ValueOf(a);
                    perAttribute[a] += same ? 1 : 0;
                    all &= same;
                }
                kept += all ? 1 : 0;
            }
        }
        return new InversionReport(count, refineSteps, psnr / count, (double)kept / count, perAttribute.ToDictionary(kv => kv.Key, kv => (double)kv.Value / count));
    }

    /// <summary>Colour edits for every ordered pair of colours, <paramref name="perPair"/> renders of the source colour each.</summary>
    public static EditReport Colour(EditPipeline pipeline, AttributeOracle oracle, EditMethod method, double strength, int perPair, ulong seed,
        EditRequest? template = null, CancellationToken cancellation = default)
    {
        var colours = Enum.GetValues<ShapeColour>();
        var random = new WorldRandom(seed);
        int edits = 0, success = 0, preserved = 0;
        foreach (var from in colours)
        {
            foreach (var to in colours.Where(c => c != from))
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var scenes = Enumerable.Range(0, perPair).Select(_ =>
                {
                    var a = ShapeAttributes.FromIndex(random.NextInt(ShapeAttributes.Count));
                    return ShapeSampler.Jitter(a with { Colour = from }, random);
                }).ToList();
                using var inverted = pipeline.Invert(ShapeSampler.Render(scenes));
                var before = oracle.Predict(inverted.Images.clamp(-1, 1));
                var request = (template ?? new EditRequest { Source = "x", Target = "y" }) with
                {
                    Source = CaptionGrammar.PromptFor(from), Target = CaptionGrammar.PromptFor(to), Method = method, Strength = strength,
                };
                using var edited = pipeline.Edit(inverted.Code, request, cancellation);
                var after = oracle.Predict(edited.Images.clamp(-1, 1));
                for (int i = 0; i < scenes.Count; i++)
                {
                    edits++;
                    success += after[i, (int)WorldAttribute.Colour] == (long)to ? 1 : 0;
                    preserved += Preserved.All(a => after[i, (int)a] == before[i, (int)a]) ? 1 : 0;
                }
            }
        }
        return new EditReport(method, strength, edits, (double)success / edits, (double)preserved / edits);
    }
}
