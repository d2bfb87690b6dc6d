using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <param name="LearningRate">Adam learning rate of the synthesis network.</param>
/// <param name="MappingLearningRate">Adam step of the mapping network relative to its weights' scale (/ lr_mul).</param>
public sealed record SceneDistillationOptions
{
    public int Steps { get; init; } = 1500;
    public int Batch { get; init; } = 32;
    public double LearningRate { get; init; } = 5e-4;
    public double MappingLearningRate { get; init; } = 1e-4;
    public double FinalLearningRateFraction { get; init; } = 0.05;
    public ulong Seed { get; init; } = 1;

    /// <summary>Pixel loss: <c>mse</c> or <c>l1</c> (the median, sharper at edges the synthesis cannot place exactly).</summary>
    public string PixelLoss { get; init; } = "mse";

    /// <summary>
    /// Weight of the object's pixels in the pixel loss, relative to the background's (1: a plain mean). The object
    /// covers a few percent of a 64 px scene, so a plain mean spends almost all of its gradient on flat background;
    /// the object and a one-pixel ring around it (<see cref="SceneDistillationTrainer.ObjectWeights"/>) weigh this much more.
    /// </summary>
    public double ObjectWeight { get; init; } = 1;

    /// <summary>
    /// Extra weight, on top of <see cref="ObjectWeight"/>, of the pixels that tell the scene's shape from the other
    /// two (<see cref="SceneDistillationTrainer.ShapeDecidingPixels"/>): a small square and a small circle differ in
    /// about 20 of 4 096 pixels, the corners, which a plain pixel loss lets the drawing round off (1: none).
    /// </summary>
    public double ShapeWeight { get; init; } = 1;

    /// <summary>
    /// Weight of the non-saturating adversarial term beside the pixel loss (pix2pix); 0 trains no discriminator. The
    /// pixel loss alone averages what the synthesis cannot draw exactly into soft edges; a discriminator that tells
    /// renders from samples asks for the crisp ones back, while the pixel loss keeps each sample on its scene.
    /// </summary>
    public double AdversarialWeight { get; init; }

    /// <summary>The discriminator's Adam rate (rosinality's 0.002, before the lazy-R1 correction), β (0, 0.99).</summary>
    public double DiscriminatorLearningRate { get; init; } = 0.002;

    /// <summary>R1 weight γ on the renders, applied every <see cref="DRegEvery"/> steps (lazy, as rosinality).</summary>
    public double R1Gamma { get; init; } = 10;

    public int DRegEvery { get; init; } = 16;

    /// <summary>
    /// Train only the synthesis convolutions, biases, noise strengths and toRGB: the mapping and every style affine
    /// (<c>modulation</c>) stay frozen, so each z keeps its w and each w its S, and the methods trained on those
    /// spaces (prior, CSLA, DeltaEdit, directions) stay valid while the drawing of each scene sharpens.
    /// </summary>
    public bool KeepLatentSpaces { get; init; }

    /// <summary>
    /// Share of each batch drawn as colour-mixed pairs (0: none): a sample's W+ takes its own scene's w on the layers
    /// below <see cref="ColourLayer"/> and a second scene's w from that layer on, and its target is the first scene drawn
    /// in the second scene's colour. StyleGAN's style mixing with a target: the layers from ColourLayer on learn to
    /// carry the object's colour and nothing else, and the layers below it the rest of the scene, so that a colour
    /// edit can move the one without the other.
    /// </summary>
    public double ColourMixing { get; init; }

    /// <summary>The first W+ layer that <see cref="ColourMixing"/> takes from the second scene.</summary>
    public int ColourLayer { get; init; } = 5;

    /// <summary>
    /// Weight of the confinement term (0: none): each batch is drawn a second time with Gaussian noise of
    /// <see cref="ConfinementNoise"/> times the batch's per-dimension spread of w added to the W+ rows from
    /// <see cref="ColourLayer"/> on, and its pixels away from the object (outside the ring <see cref="ObjectWeights"/>
    /// marks) are pulled to the render: whatever those rows do, they may not touch the background.
    /// </summary>
    public double ColourConfinement { get; init; }

    /// <summary>The confinement noise in units of the batch's per-dimension standard deviation of w.</summary>
    public double ConfinementNoise { get; init; } = 1;

    public bool Adversarial => AdversarialWeight > 0;

    /// <summary>The cosine factor (1 → <see cref="FinalLearningRateFraction"/>) both learning rates follow.</summary>
    public double ScheduleAt(int step) => CosineSchedule.At(step / (double)Steps, 1, FinalLearningRateFraction);

    public void Validate()
    {
        if (Steps < 1 || Batch < 1 || !(LearningRate > 0) || !(MappingLearningRate > 0))
            throw new ArgumentException("Steps, Batch and the learning rates must be positive");
        if (!(FinalLearningRateFraction > 0 && FinalLearningRateFraction <= 1))
            throw new ArgumentException($"FinalLearningRateFraction must lie in (0, 1], got {FinalLearningRateFraction}");
        if (PixelLoss is not ("mse" or "l1"))
            throw new ArgumentException($"PixelLoss must be mse or l1, got '{PixelLoss}'");
        if (!(ObjectWeight >= 1) || double.IsInfinity(ObjectWeight))
            throw new ArgumentException($"ObjectWeight must be finite and at least 1, got {ObjectWeight}");
        if (!(ShapeWeight >= 1) || double.IsInfinity(ShapeWeight))
            throw new ArgumentException($"ShapeWeight must be finite and at least 1, got {ShapeWeight}");
        if (AdversarialWeight < 0 || double.IsNaN(AdversarialWeight) || !(DiscriminatorLearningRate > 0) || R1Gamma < 0 || DRegEvery < 1)
            throw new ArgumentException("AdversarialWeight and R1Gamma must be non-negative, DiscriminatorLearningRate and DRegEvery positive");
        if (!(ColourMixing >= 0 && ColourMixing <= 1))
            throw new ArgumentException($"ColourMixing must lie in [0, 1], got {ColourMixing}");
        if (!(ColourConfinement >= 0) || !(ConfinementNoise > 0))
            throw new ArgumentException($"ColourConfinement must be ≥ 0 and ConfinementNoise > 0, got {ColourConfinement} and {ConfinementNoise}");
        if (ColourLayer < 1)
            throw new ArgumentException($"ColourLayer must be at least 1, got {ColourLayer}");
    }
}

/// <summary>One distillation step's losses: the pixel loss, and D's logistic and G's non-saturating loss when adversarial.</summary>
public sealed record DistillationStep(double Pixel, double? DLoss, double? GLoss);

/// <summary>
/// Stage three of the two-stage Shapes generator: the whole generator, mapping and synthesis, fine-tuned so that
/// G(z) draws the render of the scene z codes for (<see cref="SceneCode"/>), pixel MSE, random noise as sampling
/// uses, Adam (β 0.9, 0.99) with a cosine decay. Stage two can only regress w onto encoded renders, so samples near
/// a boundary between two scenes land between their w's and draw a blend; here the loss is in pixels, on exactly
/// the codes sampling draws, so the mapping learns to snap and the synthesis learns to draw what it is sent. With an
/// adversarial weight, a residual discriminator (rosinality's, minibatch standard deviation, lazy R1 on the renders)
/// learns beside it and G's loss adds its non-saturating term. Batches come from (seed, step), so a resumed run continues exactly.
/// </summary>
public sealed class SceneDistillationTrainer : IGeneratorStageTrainer
{
    private const ulong WorldSalt = 0xD157_1000_0000_0001;
    private const ulong DonorSalt = 0xC010_0B1E_0000_0001;
    private readonly TorchSharp.Modules.Adam optimizer;
    private readonly TorchSharp.Modules.Adam mappingOptimizer;
    private readonly TorchSharp.Modules.Adam? dOptimizer;
    private readonly List<TorchSharp.Modules.Parameter> dParameters = [];

    /// <param name="generator">The generator to fine-tune (owned by the trainer from here on).</param>
    public SceneDistillationTrainer(SceneDistillationOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        if (generator.Config.ZDim < SceneCode.Dimensions + 8)
            throw new ArgumentException($"the generator's z has {generator.Config.ZDim} dimensions; a scene code needs at least {SceneCode.Dimensions + 8}");
        if ((options.ColourMixing > 0 || options.ColourConfinement > 0) && options.ColourLayer >= generator.NLatent)
            throw new ArgumentException($"ColourLayer must lie in [1, {generator.NLatent - 1}] for a generator of {generator.NLatent} W+ layers, got {options.ColourLayer}");
        Options = options;
        G = generator;
        G.train();
        foreach (var (name, p) in G.named_parameters())
            p.requires_grad = !options.KeepLatentSpaces || !IsLatentSpaceParameter(name);
        var mapping = G.Style.parameters().ToList();
        var synthesis = G.named_parameters().Where(p => !p.name.StartsWith("style.", StringComparison.Ordinal) && p.parameter.requires_grad)
            .Select(p => p.parameter).ToList();
        // Two optimisers rather than two parameter groups: TorchSharp 0.107's Adam state did not survive a save and
        // load with two groups (the resume test caught it).
        optimizer = optim.Adam(synthesis, options.LearningRate, 0.9, 0.99);
        mappingOptimizer = optim.Adam(mapping, options.MappingLearningRate / generator.Config.LrMlp, 0.9, 0.99);
        if (options.Adversarial)
        {
            lock (StyleGan2Trainer.InitLock)
            {
                manual_seed(unchecked((long)options.Seed));
                D = new Discriminator(generator.Config.Size, generator.Config.Channels);
            }
            D.train();
            dParameters = [.. D.parameters()];
            double ratio = options.DRegEvery / (options.DRegEvery + 1.0);
            dOptimizer = optim.Adam(dParameters, options.DiscriminatorLearningRate * ratio, 0, Math.Pow(0.99, ratio));
        }
    }

    public SceneDistillationOptions Options { get; }
    public Generator G { get; }

    /// <summary>
    /// Per-pixel weights [N, 1, H, W] of <paramref name="renders"/> [N, 3, H, W]: <paramref name="objectWeight"/> on
    /// the object and the ring of pixels around it, 1 on the background. A render's background is flat, so it is the
    /// median of its four corners (an object may reach one corner, never all) and the object is every pixel that
    /// differs from it by more than 0.1 (13 levels of 255) in some channel.
    /// </summary>
    public static Tensor ObjectWeights(Tensor renders, double objectWeight)
    {
        ArgumentNullException.ThrowIfNull(renders);
        if (renders.ndim != 4 || renders.shape[1] != 3)
            throw new ArgumentException($"renders must be [N, 3, H, W], got {StyleBridge.Torch.TensorBytes.Format(renders.shape)}", nameof(renders));
        using var scope = NewDisposeScope();
        long h = renders.shape[2], w = renders.shape[3];
        var corners = stack([
            renders[.., .., 0, 0], renders[.., .., 0, w - 1], renders[.., .., h - 1, 0], renders[.., .., h - 1, w - 1],
        ], 2);
        var background = corners.sort(2).Values[.., .., 1].unsqueeze(-1).unsqueeze(-1); // the lower of the middle two, as torch.median
        var mask = renders.sub(background).abs().amax([1L], keepdim: true).gt(0.1).to(renders.dtype);
        var ring = F.max_pool2d(mask, 3, 1, 1);
        return ring.mul(objectWeight - 1).add(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The pixels [N, 1, H, W] (1 or 0) where <paramref name="renders"/> [N, 3, H, W] of <paramref name="scenes"/>
    /// differ from the renders of the same scenes (colour, size, place and jitter) with either other shape: the pixels
    /// that decide which shape it is. Only the two other shapes are rendered.
    /// </summary>
    public static Tensor ShapeDecidingPixels(IReadOnlyList<ShapeScene> scenes, Tensor renders)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(renders);
        if (renders.ndim != 4 || renders.shape[0] != scenes.Count || renders.shape[1] != 3 || renders.shape[2] != renders.shape[3])
            throw new ArgumentException($"renders must be [{scenes.Count}, 3, S, S], got {StyleBridge.Torch.TensorBytes.Format(renders.shape)}", nameof(renders));
        using var scope = NewDisposeScope();
        int size = (int)renders.shape[2];
        var deciding = zeros([scenes.Count, 1, size, size], renders.dtype);
        foreach (var other in new[] { 1, 2 })
        {
            var alternative = StyleGan2Trainer.RenderAt([.. scenes.Select(s => s with { Shape = (Shape)(((int)s.Shape + other) % ShapeAttributes.ShapeCount) })], size);
            deciding = deciding.maximum(renders.sub(alternative).abs().amax([1L], keepdim: true).gt(0.1).to(renders.dtype));
        }

        return deciding.MoveToOuterDisposeScope();
    }

    /// <summary>The pixel loss (mse or l1) of <paramref name="images"/> against <paramref name="renders"/>, weighted per pixel by <see cref="ObjectWeights"/>.</summary>
    public static Tensor PixelLossOf(Tensor images, Tensor renders, string kind, double objectWeight) =>
        PixelLossOf(images, renders, kind, objectWeight, null, 1);

    /// <summary>
    /// The same with <paramref name="shapeWeight"/> times that weight on the pixels <paramref name="deciding"/> marks
    /// (<see cref="ShapeDecidingPixels"/>; null or weight 1: none).
    /// </summary>
    public static Tensor PixelLossOf(Tensor images, Tensor renders, string kind, double objectWeight, Tensor? deciding, double shapeWeight)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(renders);
        bool byShape = deciding is not null && shapeWeight != 1;
        if (objectWeight == 1 && !byShape)
            return kind == "l1" ? F.l1_loss(images, renders) : F.mse_loss(images, renders);
        if (byShape && (deciding!.ndim != 4 || deciding.shape[0] != renders.shape[0] || deciding.shape[1] != 1 || deciding.shape[2] != renders.shape[2] || deciding.shape[3] != renders.shape[3]))
            throw new ArgumentException($"deciding must be [N, 1, H, W] for renders {StyleBridge.Torch.TensorBytes.Format(renders.shape)}, got {StyleBridge.Torch.TensorBytes.Format(deciding.shape)}", nameof(deciding));
        using var scope = NewDisposeScope();
        var error = kind == "l1" ? images.sub(renders).abs() : images.sub(renders).square();
        var weights = ObjectWeights(renders.detach(), objectWeight);
        if (byShape)
            weights = weights.mul(deciding!.mul(shapeWeight - 1).add(1));
        return error.mean([1L], keepdim: true).mul(weights).sum().div(weights.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// W+ [N, L, W] of <paramref name="w"/> [N, W] with the first D rows of <paramref name="donors"/> [D, W] on layers
    /// <paramref name="colourLayer"/> and above (<see cref="SceneDistillationOptions.ColourMixing"/>).
    /// </summary>
    public static Tensor MixColours(Generator generator, Tensor w, Tensor donors, int colourLayer)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(donors);
        if (w.ndim != 2 || donors.ndim != 2 || donors.shape[0] > w.shape[0] || donors.shape[1] != w.shape[1])
            throw new ArgumentException($"w must be [N, W] and donors [D ≤ N, W], got {StyleBridge.Torch.TensorBytes.Format(w.shape)} and {StyleBridge.Torch.TensorBytes.Format(donors.shape)}");
        if (colourLayer < 1 || colourLayer >= generator.NLatent)
            throw new ArgumentOutOfRangeException(nameof(colourLayer), colourLayer, $"must lie in [1, {generator.NLatent - 1}]");
        using var scope = NewDisposeScope();
        long d = donors.shape[0];
        var mixed = generator.MixStyles(w.narrow(0, 0, d), donors, colourLayer);
        return cat([mixed, generator.Broadcast(w.narrow(0, d, w.shape[0] - d))]).MoveToOuterDisposeScope();
    }

    /// <summary>The mapping network's and the style affines' parameters: what decides a z's w and a w's S.</summary>
    public static bool IsLatentSpaceParameter(string name) =>
        name.StartsWith("style.", StringComparison.Ordinal) || name.Contains(".modulation.", StringComparison.Ordinal);

    /// <summary>The discriminator of an adversarial run, else null.</summary>
    public Discriminator? D { get; }

    public int StepCount { get; private set; }

    int IGeneratorStageTrainer.TotalSteps => Options.Steps;
    int IGeneratorStageTrainer.Batch => Options.Batch;
    Generator IGeneratorStageTrainer.Sampled => G;

    /// <summary>Training runs the batch in one synthesis pass (a served generator slices CPU batches by default).</summary>
    public static StyleGan2Config WholeBatches(StyleGan2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config with { MaxCpuBatch = null };
    }

    /// <summary>
    /// One step: (adversarial runs) a D step on the renders against the detached samples, R1 when due; then one Adam
    /// step of G on the pixel loss between G(code of each scene) and its render (+ the weighted non-saturating term).
    /// </summary>
    public DistillationStep Step()
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(StyleGan2Trainer.StepSeed((long)Options.Seed, StepCount));
        var scenes = new ShapeSampler(unchecked((Options.Seed ^ WorldSalt) * 1_000_003UL + (ulong)StepCount)).SampleBatch(Options.Batch);
        var z = SceneCode.Encode(scenes, G.Config.ZDim, rng);
        var ws = G.Map(z);
        int mixed = (int)Math.Round(Options.ColourMixing * Options.Batch);
        if (mixed > 0)
        {
            var donors = new ShapeSampler(unchecked((Options.Seed ^ DonorSalt) * 1_000_003UL + (ulong)StepCount)).SampleBatch(mixed);
            ws = MixColours(G, ws, G.Map(SceneCode.Encode(donors, G.Config.ZDim, rng)), Options.ColourLayer);
            scenes = [.. scenes.Select((s, i) => i < mixed ? s with { Colour = donors[i].Colour } : s)];
        }
        var images = G.Synthesize(ws, new SynthesisOptions(NoiseMode.Random, rng));
        var renders = StyleGan2Trainer.RenderAt(scenes, G.Config.Size);
        var deciding = Options.ShapeWeight != 1 ? ShapeDecidingPixels(scenes, renders) : null;
        var pixel = PixelLossOf(images, renders, Options.PixelLoss, Options.ObjectWeight, deciding, Options.ShapeWeight);
        double? dLoss = null, gLoss = null;
        var loss = pixel;
        if (Options.ColourConfinement > 0)
            loss = loss.add(ConfinementLoss(G, ws, renders, Options.ColourLayer, Options.ConfinementNoise, rng).mul(Options.ColourConfinement));
        if (D is not null)
            dLoss = DiscriminatorStep(renders, images.detach());
        // G's step runs through a frozen D (its gradients are not wanted), which thaws again whatever happens
        StyleGan2Trainer.SetRequiresGrad(dParameters, false);
        try
        {
            if (D is not null)
            {
                var adversarial = LogisticGan.GeneratorLoss(D.Forward(images));
                gLoss = adversarial.item<float>();
                loss = pixel.add(adversarial.mul(Options.AdversarialWeight));
            }

            double factor = Options.ScheduleAt(StepCount);
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = Options.LearningRate * factor;
            foreach (var group in mappingOptimizer.ParamGroups)
                group.LearningRate = Options.MappingLearningRate / G.Config.LrMlp * factor;
            optimizer.zero_grad();
            mappingOptimizer.zero_grad();
            loss.backward();
            optimizer.step();
            mappingOptimizer.step();
        }
        finally
        {
            StyleGan2Trainer.SetRequiresGrad(dParameters, true);
        }

        StepCount++;
        return new DistillationStep(pixel.item<float>(), dLoss, gLoss);
    }

    /// <summary>
    /// <see cref="SceneDistillationOptions.ColourConfinement"/>'s term: W+ <paramref name="ws"/> [N, L, W] (or w [N, W])
    /// drawn again with Gaussian noise of <paramref name="noise"/> times the batch's per-dimension spread of w on rows
    /// <paramref name="colourLayer"/> and above (the noise drawn first from <paramref name="rng"/>, then the synthesis
    /// noise), and the mean L1 to <paramref name="renders"/> over the pixels away from the object and its ring.
    /// </summary>
    public static Tensor ConfinementLoss(Generator generator, Tensor ws, Tensor renders, int colourLayer, double noise, RandomGenerator rng)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(renders);
        using var scope = NewDisposeScope();
        var wplus = ws.ndim == 2 ? generator.Broadcast(ws) : ws;
        var spread = wplus.select(1, 0).detach().std(0L).view(1, 1, -1);
        var rows = arange(generator.NLatent, device: wplus.device).ge(colourLayer).to(wplus.dtype).view(1, -1, 1);
        var offsets = randn(wplus.shape[0], 1, wplus.shape[2], generator: rng).mul(spread).mul(noise);
        var perturbed = generator.Synthesize(wplus.add(offsets.mul(rows)), new SynthesisOptions(NoiseMode.Random, rng));
        var background = ObjectWeights(renders.detach(), 2).eq(1).to(renders.dtype); // 1 away from the object's ring
        return perturbed.sub(renders).abs().mean([1L], keepdim: true).mul(background).sum().div(background.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    private double DiscriminatorStep(Tensor renders, Tensor samples)
    {
        var d = D!;
        var dLoss = LogisticGan.DiscriminatorLoss(d.Forward(renders), d.Forward(samples));
        dOptimizer!.zero_grad();
        dLoss.backward();
        dOptimizer.step();
        if (StepCount % Options.DRegEvery == 0 && Options.R1Gamma > 0)
            LogisticGan.LazyR1Step(d.Forward, dOptimizer, renders, Options.R1Gamma, Options.DRegEvery);
        return dLoss.item<float>();
    }

    public void Save(string directory)
    {
        var weights = StateDicts.Of(G, "g.");
        if (G.LatentAvg is { } average) // kept through resumes: a run that keeps the latent spaces exports it unchanged
            weights = weights.Append(new("g.latent_avg", average));
        if (D is not null)
            weights = weights.Concat(StateDicts.Of(D, "d."));
        TrainingCheckpoint.Save(directory, weights, optimizer, StepCount, Options);
        mappingOptimizer.save_state_dict(Path.Combine(directory, "mapping_optimizer.bin"));
        dOptimizer?.save_state_dict(Path.Combine(directory, "d_optimizer.bin"));
    }

    public static SceneDistillationTrainer Resume(string directory, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<SceneDistillationOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        Generator g;
        using (var stage = StyleGan2Weights.FromTensors(StateDicts.Under(weights, "g.")))
            g = Generator.FromWeights(stage, WholeBatches);
        var trainer = new SceneDistillationTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, g);
        try
        {
            TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
            trainer.mappingOptimizer.load_state_dict(Path.Combine(directory, "mapping_optimizer.bin"));
            if (trainer.D is not null)
            {
                StateDicts.LoadInto(trainer.D, StateDicts.Under(weights, "d."));
                trainer.dOptimizer!.load_state_dict(Path.Combine(directory, "d_optimizer.bin"));
            }
            trainer.StepCount = state.Step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// G in rosinality names, step 0, with a fresh <c>latent_avg</c>; a run that kept the latent spaces keeps the
    /// source generator's <c>latent_avg</c> (its mapping is unchanged, so a new estimate would only differ by sampling).
    /// A colour-mixing run records its colour layer (<see cref="ModelSets.ModelSet.ColourLayerMetadataKey"/>).
    /// </summary>
    public void Export(string path) =>
        MappingGanTrainer.WriteMapped(G, Options.Seed, StepCount, path, nameof(SceneDistillationTrainer), System.Text.Json.JsonSerializer.Serialize(Options),
            Options.KeepLatentSpaces ? G.LatentAvg : null,
            Options.ColourMixing > 0
                ? new Dictionary<string, string> { [ModelSets.ModelSet.ColourLayerMetadataKey] = Options.ColourLayer.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                : null);

    public void Dispose()
    {
        optimizer.Dispose();
        mappingOptimizer.Dispose();
        dOptimizer?.Dispose();
        D?.Dispose();
        G.Dispose();
    }
}

/// <summary>
/// <see cref="SceneDistillationTrainer"/> as a <c>stylebridge train stylegan2-distill</c> run; validation reads 500
/// samples with the oracle (clean fraction, Fréchet distance), as the other generator runs do.
/// </summary>
public sealed class SceneDistillationRun(SceneDistillationTrainer trainer, string? oraclePath) : GeneratorSampleRun<SceneDistillationTrainer>(trainer, oraclePath)
{
    public override string Name => "stylegan2-distill";

    public override IReadOnlyList<(string Name, double Value)> Step()
    {
        var step = Trainer.Step();
        var values = new List<(string, double)> { (Trainer.Options.PixelLoss, step.Pixel) };
        if (step.DLoss is { } d)
            values.Add(("d", d));
        if (step.GLoss is { } g)
            values.Add(("g", g));
        return values;
    }
}
