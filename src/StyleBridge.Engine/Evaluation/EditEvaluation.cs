using StyleBridge.Engine.Editing;
using StyleBridge.Engine.World;

namespace StyleBridge.Engine.Evaluation;

/// <summary>Inversion figures: PSNR of the reconstruction (8-bit) and the share of renders whose five attributes survive.</summary>
public sealed record InversionReport(int Renders, int RefineSteps, double Psnr, double AttributesKept, IReadOnlyDictionary<WorldAttribute, double> PerAttribute,
    RefineSpace RefineSpace = RefineSpace.WPlus);

/// <summary>Colour-edit figures of one method at one strength.</summary>
/// <param name="Success">The oracle reads the target colour.</param>
/// <param name="Preservation">Shape, position and background as the oracle read them on the edit's input.</param>
/// <param name="PreservedPerAttribute">Each of the preserved attributes on its own.</param>
/// <param name="Channels">Mean style channels an edit moved (global directions, DeltaEdit); null for the others.</param>
public sealed record EditReport(EditMethod Method, double Strength, int Edits, double Success, double Preservation,
    IReadOnlyDictionary<WorldAttribute, double> PreservedPerAttribute, double? Channels = null);

/// <summary>
/// closed-world.md §4, editing and inversion: fresh renders → CSLA inversion (PSNR, attributes kept); colour edits
/// "a {c} shape" → "a {c′} shape" on inverted renders of colour c, every ordered colour pair, per method: success and
/// preservation read by the oracle.
/// </summary>
public static class EditEvaluation
{
    /// <summary>What a colour edit must leave as it was.</summary>
    public static IReadOnlyList<WorldAttribute> Preserved { get; } = [WorldAttribute.Shape, WorldAttribute.Position, WorldAttribute.Background];

    /// <param name="refineSteps">0: the encoder alone; else that many optimisation steps after it (<c>--refine-steps</c>) in <paramref name="refineSpace"/>.</param>
    public static InversionReport Inversion(EditPipeline pipeline, AttributeOracle oracle, int count, ulong seed, int refineSteps = 0, int batch = 50,
        RefineSpace refineSpace = RefineSpace.WPlus)
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
            using var inverted = pipeline.Invert(images, refineSteps, refineSpace: refineSpace);
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
        return new InversionReport(count, refineSteps, psnr / count, (double)kept / count, perAttribute.ToDictionary(kv => kv.Key, kv => (double)kv.Value / count),
            refineSpace);
    }

    /// <summary>Colour edits for every ordered pair of colours, <paramref name="perPair"/> renders of the source colour each.</summary>
    public static EditReport Colour(EditPipeline pipeline, AttributeOracle oracle, EditMethod method, double strength, int perPair, ulong seed,
        EditRequest? template = null, CancellationToken cancellation = default)
    {
        using var inputs = ColourEditInputs.Invert(pipeline, oracle, perPair, seed);
        return Colour(pipeline, inputs, oracle, method, strength, template, cancellation);
    }

    /// <summary>Colour edits of inputs inverted once (<see cref="ColourEditInputs.Invert"/>), so that a sweep of methods and strengths shares them.</summary>
    public static EditReport Colour(EditPipeline pipeline, ColourEditInputs inputs, AttributeOracle oracle, EditMethod method, double strength,
        EditRequest? template = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int edits = 0, success = 0, preserved = 0;
        long channels = 0;
        bool counted = false;
        var perAttribute = Preserved.ToDictionary(a => a, _ => 0);
        foreach (var pair in inputs.Pairs)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var request = (template ?? new EditRequest { Source = "x", Target = "y" }) with
            {
                Source = CaptionGrammar.PromptFor(pair.From), Target = CaptionGrammar.PromptFor(pair.To), Method = method, Strength = strength,
            };
            using var edited = pipeline.Edit(pair.Code, request, cancellation);
            if (edited.ChannelsManipulated >= 0)
            {
                counted = true;
                channels += (long)edited.ChannelsManipulated * pair.Code.WPlus.shape[0];
            }
            var after = oracle.Predict(edited.Images.clamp(-1, 1));
            for (int i = 0; i < after.GetLength(0); i++)
            {
                edits++;
                success += after[i, (int)WorldAttribute.Colour] == (long)pair.To ? 1 : 0;
                bool all = true;
                foreach (var a in Preserved)
                {
                    bool kept = after[i, (int)a] == pair.Before[i, (int)a];
                    perAttribute[a] += kept ? 1 : 0;
                    all &= kept;
                }
                preserved += all ? 1 : 0;
            }
        }
        return new EditReport(method, strength, edits, (double)success / edits, (double)preserved / edits,
            perAttribute.ToDictionary(kv => kv.Key, kv => (double)kv.Value / edits), counted ? (double)channels / edits : null);
    }
}

/// <summary>
/// The inputs of the colour-edit evaluation: for every ordered pair of colours, renders of the source colour inverted
/// (by the encoder, optionally refined), with the oracle's reading of each inversion (what preservation compares to).
/// </summary>
public sealed class ColourEditInputs : IDisposable
{
    private ColourEditInputs(int refineSteps, RefineSpace refineSpace, IReadOnlyList<(ShapeColour From, ShapeColour To, LatentCode Code, long[,] Before)> pairs)
    {
        RefineSteps = refineSteps;
        RefineSpace = refineSpace;
        Pairs = pairs;
    }

    public int RefineSteps { get; }

    public RefineSpace RefineSpace { get; }

    public IReadOnlyList<(ShapeColour From, ShapeColour To, LatentCode Code, long[,] Before)> Pairs { get; }

    /// <summary>Draws <paramref name="perPair"/> renders per ordered colour pair from <paramref name="seed"/> and inverts them in batches.</summary>
    public static ColourEditInputs Invert(EditPipeline pipeline, AttributeOracle oracle, int perPair, ulong seed, int refineSteps = 0, int batch = 60,
        RefineSpace refineSpace = RefineSpace.WPlus)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(oracle);
        if (perPair < 1 || batch < 1)
            throw new ArgumentException("perPair and batch must be positive");
        var colours = Enum.GetValues<ShapeColour>();
        var random = new WorldRandom(seed);
        var order = new List<(ShapeColour From, ShapeColour To)>();
        var scenes = new List<ShapeScene>();
        foreach (var from in colours)
        {
            foreach (var to in colours.Where(c => c != from))
            {
                order.Add((from, to));
                for (int i = 0; i < perPair; i++)
                {
                    var a = ShapeAttributes.FromIndex(random.NextInt(ShapeAttributes.Count));
                    scenes.Add(ShapeSampler.Jitter(a with { Colour = from }, random));
                }
            }
        }

        var wplus = new List<Tensor>();
        var styles = new List<Tensor[]>();
        var readings = new List<long[,]>();
        try
        {
            for (int start = 0; start < scenes.Count; start += batch)
            {
                using var scope = NewDisposeScope();
                using var inverted = pipeline.Invert(ShapeSampler.Render(scenes.Skip(start).Take(batch).ToList()), refineSteps, refineSpace: refineSpace);
                readings.Add(oracle.Predict(inverted.Images.clamp(-1, 1)));
                wplus.Add(inverted.Code.WPlus.clone().DetachFromDisposeScope());
                styles.Add([.. inverted.Code.Styles.Select(t => t.clone().DetachFromDisposeScope())]);
            }

            using var all = NewDisposeScope();
            var w = cat(wplus, 0);
            var st = Enumerable.Range(0, styles[0].Length).Select(k => cat(styles.Select(b => b[k]).ToList(), 0)).ToArray();
            int attributes = readings[0].GetLength(1);
            var pairs = order.Select((p, k) =>
            {
                var rows = TensorIndex.Slice(k * perPair, (k + 1) * perPair);
                var code = new LatentCode(w[rows].clone().DetachFromDisposeScope(), [.. st.Select(t => t[rows].clone().DetachFromDisposeScope())]);
                var before = new long[perPair, attributes];
                for (int i = 0; i < perPair; i++)
                {
                    int n = k * perPair + i;
                    var part = readings[n / batch];
                    for (int a = 0; a < attributes; a++)
                        before[i, a] = part[n % batch, a];
                }
                return (p.From, p.To, code, before);
            }).ToList();
            return new ColourEditInputs(refineSteps, refineSpace, pairs);
        }
        finally
        {
            foreach (var t in wplus)
                t.Dispose();
            foreach (var t in styles.SelectMany(b => b))
                t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var pair in Pairs)
            pair.Code.Dispose();
    }
}
