using System.Diagnostics;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using StyleBridge.Models.Prior;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Generation;

/// <summary>
/// One output image: its seed, the winning candidate, its CLIP score, the image [3, H, W] in [−1, 1], its W+ [1, L, W]
/// and the S vectors that drew it (one [1, C_k] per layer; for CSLA's S result they are not the affines of W+).
/// </summary>
public sealed record GeneratedImage(int Index, ulong Seed, int Candidate, double ClipScore, Tensor Image, Tensor WPlus, Tensor[] Styles) : IDisposable
{
    public void Dispose()
    {
        Image.Dispose();
        WPlus.Dispose();
        foreach (var s in Styles)
            s.Dispose();
    }
}

/// <summary>Wall time per stage of one <see cref="TextToImagePipeline.Generate"/> call (shared by its requests).</summary>
public sealed record GenerationTimings(double TextSeconds, double LatentSeconds, double SynthesisSeconds, double RerankSeconds)
{
    public double TotalSeconds => TextSeconds + LatentSeconds + SynthesisSeconds + RerankSeconds;
}

/// <summary>A request's images, best first.</summary>
public sealed record GenerationResult(GenerationRequest Request, IReadOnlyList<GeneratedImage> Images, GenerationTimings Timings) : IDisposable
{
    public void Dispose()
    {
        foreach (var image in Images)
            image.Dispose();
    }
}

/// <summary>
/// Text to image: CLIP text encoding → latents (the clip2latent prior, or the CSLA mappers) for every candidate →
/// StyleGAN2 synthesis → CLIP re-ranking (cosine of the candidate's image embedding and the prompt's text embedding)
/// → the best candidate of each requested image, images sorted best first. Candidates of all requests of a call share
/// the batches; every image draws from its own seeded generator, so its pixels do not depend on the batch.
/// </summary>
public sealed class TextToImagePipeline : IDisposable
{
    private readonly bool ownsModels;

    public TextToImagePipeline(ClipModel clip, ClipTokenizer tokenizer, Generator generator, LatentPrior? prior, CslaModel? csla,
        ClipImageTransform? transform = null, bool ownsModels = false)
    {
        Clip = clip;
        Tokenizer = tokenizer;
        Generator = generator;
        Prior = prior;
        Csla = csla;
        Transform = transform ?? new ClipImageTransform(clip.Config.ImageResolution, ClipResizeMode.Area, ClipInputNormalization.MeanStd);
        this.ownsModels = ownsModels;
    }

    public ClipModel Clip { get; }
    public ClipTokenizer Tokenizer { get; }
    public Generator Generator { get; }
    public LatentPrior? Prior { get; }
    public CslaModel? Csla { get; }
    public ClipImageTransform Transform { get; }

    /// <summary>Largest batch of synthesis and CLIP image encoding.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>The pipeline of a model set (the prior and CSLA when the set has them); it owns the models.</summary>
    /// <param name="configure">Run-time options of the generator (e.g. its CPU slice), as <see cref="ModelSet.LoadGenerator"/> takes them.</param>
    public static TextToImagePipeline Open(ModelSet set, Func<StyleBridge.Models.StyleGan2.StyleGan2Config, StyleBridge.Models.StyleGan2.StyleGan2Config>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var clip = set.LoadClip();
        var generator = set.LoadGenerator(configure);
        var prior = set.Has(ModelSet.PriorFile) ? set.LoadPrior() : null;
        var csla = set.Has(ModelSet.CslaFile) ? CslaModel.FromFile(set.PathOf(ModelSet.CslaFile), generator) : null;
        return new TextToImagePipeline(clip, set.LoadTokenizer(), generator, prior, csla, ownsModels: true);
    }

    /// <summary>The ψ (prior) or α (CSLA) a request runs with: its own, else the method's default (the CSLA file's text strength).</summary>
    public double EffectiveTruncation(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Truncation ?? (request.Method == GenerationMethod.Csla && Csla is not null ? Csla.Config.TextStrength : 1.0);
    }

    public GenerationResult Generate(GenerationRequest request, CancellationToken cancellation = default) =>
        Generate([request], cancellation)[0];

    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
            return [];
        foreach (var r in requests)
        {
            r.Validate(Prior?.Config.NumTimesteps ?? 1000);
            if (r.Method == GenerationMethod.Prior && Prior is null)
                throw new ArgumentException("method prior: this model set has no prior (prior.safetensors)");
            if (r.Method == GenerationMethod.Csla && Csla is null)
                throw new ArgumentException("method csla: this model set has no CSLA mappers (csla.safetensors)");
        }

        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var mode = inference_mode();

        // ---- text: one batch for every distinct prompt ----
        var prompts = requests.Select(r => r.Prompt).Distinct(StringComparer.Ordinal).ToList();
        var textEmbeddings = Clip.EncodeText(ClipTokenIds.FromTexts(Tokenizer, prompts));
        var promptRow = prompts.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => (long)x.i, StringComparer.Ordinal);
        double textSeconds = clock.Elapsed.TotalSeconds;

        // ---- latents: per image its own generator, candidates of compatible requests in one batch ----
        clock.Restart();
        var images = new List<(int Request, int Index, ulong Seed)>();
        for (int r = 0; r < requests.Count; r++)
            for (int i = 0; i < requests[r].NumImages; i++)
                images.Add((r, i, ImageSeeds.For(requests[r].Seed, i)));
        var latents = new Tensor[images.Count]; // W+ [K, L, W] per image
        var styleLists = new Tensor[images.Count][]; // S per image: one [K, C_k] per layer
        foreach (var group in images.Select((image, slot) => (image, slot))
                     .GroupBy(x => (requests[x.image.Request].Method, requests[x.image.Request].GuidanceScale, requests[x.image.Request].Steps, EffectiveTruncation(requests[x.image.Request]),
                         // only CSLA reads the text centre: prior requests share a batch whatever it says
                         requests[x.image.Request].Method == GenerationMethod.Csla ? requests[x.image.Request].CslaTextCentre : CslaTextCentre.Neutral)))
        {
            var members = group.ToList();
            var generators = members.Select(m => new RandomGenerator(m.image.Seed)).ToList();
            try
            {
                var counts = members.Select(m => (long)requests[m.image.Request].NumCandidates).ToArray();
                var conditions = cat(members.Select(m => textEmbeddings[promptRow[requests[m.image.Request].Prompt]]
                    .unsqueeze(0).expand(requests[m.image.Request].NumCandidates, -1)).ToList());
                var (method, guidance, steps, truncation, textCentre) = group.Key;
                var (wplus, styles) = method switch
                {
                    GenerationMethod.Prior => PriorLatents(conditions, counts, generators, guidance, steps, truncation, cancellation),
                    _ => CslaLatents(conditions, counts, generators, truncation, textCentre),
                };
                var parts = wplus.split(counts, 0);
                var styleParts = styles.Select(s => s.split(counts, 0)).ToArray();
                for (int m = 0; m < members.Count; m++)
                {
                    latents[members[m].slot] = parts[m];
                    styleLists[members[m].slot] = [.. styleParts.Select(p => p[m])];
                }
            }
            finally
            {
                foreach (var g in generators)
                    g.Dispose();
            }
        }
        double latentSeconds = clock.Elapsed.TotalSeconds;

        // ---- synthesis and re-ranking, in chunks of MaxBatch candidates ----
        var all = cat(latents);
        var allStyles = Enumerable.Range(0, Generator.StyleSpace.Count).Select(k => cat(styleLists.Select(l => l[k]).ToList())).ToArray();
        var synthesized = new List<Tensor>();
        var embedded = new List<Tensor>();
        double synthesisSeconds = 0, rerankSeconds = 0;
        for (long start = 0; start < all.shape[0]; start += MaxBatch)
        {
            cancellation.ThrowIfCancellationRequested();
            long length = Math.Min(MaxBatch, all.shape[0] - start);
            clock.Restart();
            var pixels = Generator.SynthesizeFromStyles([.. allStyles.Select(s => s.narrow(0, start, length))], SynthesisOptions.Default);
            synthesisSeconds += clock.Elapsed.TotalSeconds;
            clock.Restart();
            embedded.Add(Clip.EncodeImage(Transform.Apply(pixels)));
            rerankSeconds += clock.Elapsed.TotalSeconds;
            synthesized.Add(pixels);
        }

        clock.Restart();
        var pixelsAll = cat(synthesized);
        var imageEmbeddings = cat(embedded);
        var texts = cat(images.Select(x => textEmbeddings[promptRow[requests[x.Request].Prompt]].unsqueeze(0)
            .expand(requests[x.Request].NumCandidates, -1)).ToList());
        var scores = F.cosine_similarity(imageEmbeddings, texts, 1, 1e-8).to(ScalarType.Float64).cpu().data<double>().ToArray();
        rerankSeconds += clock.Elapsed.TotalSeconds;
        var timings = new GenerationTimings(textSeconds, latentSeconds, synthesisSeconds, rerankSeconds);

        var perRequest = requests.Select(_ => new List<GeneratedImage>()).ToList();
        long offset = 0;
        for (int slot = 0; slot < images.Count; slot++)
        {
            var (r, index, seed) = images[slot];
            int k = requests[r].NumCandidates;
            int best = Enumerable.Range(0, k).MaxBy(c => scores[offset + c]);
            perRequest[r].Add(new GeneratedImage(index, seed, best, scores[offset + best],
                pixelsAll[offset + best].clone().DetachFromDisposeScope(), all[offset + best].unsqueeze(0).clone().DetachFromDisposeScope(),
                [.. allStyles.Select(st => st[TensorIndex.Slice(offset + best, offset + best + 1)].clone().DetachFromDisposeScope())]));
            offset += k;
        }

        return [.. perRequest.Select((list, r) => new GenerationResult(requests[r],
            [.. list.OrderByDescending(i => i.ClipScore).ThenBy(i => i.Index)], timings))];
    }

    private (Tensor WPlus, Tensor[] Styles) PriorLatents(Tensor conditions, long[] counts, List<RandomGenerator> generators, double guidance, int steps,
        double truncation, CancellationToken cancellation)
    {
        var prior = Prior!;
        int skip = prior.Config.NumTimesteps / steps;
        // every draw of the batch is the concatenation of each image's own draw of [K_i, D]
        Tensor Noise(long[] shape) => cat(generators.Select((g, m) => randn([counts[m], shape[1]], generator: g)).ToList());
        var z = prior.SampleNormalized(conditions.to(ScalarType.Float32), new PriorSampling(guidance, skip, truncation), Noise,
            cancellation: cancellation);
        var wplus = Generator.Broadcast(prior.Denormalize(z, truncation));
        return (wplus, Generator.Styles(wplus));
    }

    private (Tensor WPlus, Tensor[] Styles) CslaLatents(Tensor conditions, long[] counts, List<RandomGenerator> generators, double strength,
        CslaTextCentre textCentre)
    {
        var csla = Csla!;
        // each candidate moves its own random base sample (from the image's generator) to the prompt; the base's image
        // embedding tells the mapper where it starts (CslaModel.DeltaFForText)
        var z = cat(generators.Select((g, m) => randn([counts[m], Generator.Config.StyleDim], generator: g)).ToList());
        var baseW = Generator.Map(z);
        var baseEmbedding = Clip.EncodeImage(Transform.Apply(Generator.Synthesize(Generator.Broadcast(baseW), SynthesisOptions.Default)));
        bool calibrated = textCentre == CslaTextCentre.Neutral && csla.TextCentre is not null;
        var centre = textCentre switch
        {
            CslaTextCentre.Image => null,
            _ when calibrated => csla.TextCentre,
            _ => csla.PrepareEmbedding(Clip.EncodeText(ClipTokenIds.FromTexts(Tokenizer, [csla.NeutralPrompt]))),
        };
        // the calibrated path stands the prompt in by its image-space prototype where the file has an image bank, else
        // by its residual from c_txt, carried by the text map (fitted to residuals from c_txt) where there is one
        var deltaF = calibrated && csla.TextBank is not null
            ? csla.DeltaFFromBank(conditions, baseEmbedding)
            : csla.DeltaFForText(conditions, centre, baseEmbedding, calibrated ? csla.TextMap : null);
        var (w, styles) = csla.Apply(deltaF, baseW, strength);
        var wplus = Generator.Broadcast(w);
        return (wplus, csla.Config.Output == StyleBridge.Models.Csla.CslaOutput.W ? Generator.Styles(wplus) : styles);
    }

    public void Dispose()
    {
        if (!ownsModels)
            return;
        Clip.Dispose();
        Generator.Dispose();
        Prior?.Dispose();
        Csla?.Dispose();
    }
}
