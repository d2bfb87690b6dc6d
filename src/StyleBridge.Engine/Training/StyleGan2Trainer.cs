using System.Diagnostics;
using System.Text;
using System.Text.Json;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;
using TorchSharp;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;
using Parameter = TorchSharp.Modules.Parameter;

namespace StyleBridge.Engine.Training;

/// <summary>One training step's numbers.</summary>
/// <param name="Step">The step just taken (0-based).</param>
/// <param name="DLoss">D's logistic loss <c>softplus(−D(real)) + softplus(D(fake))</c> (batch means).</param>
/// <param name="GLoss">G's non-saturating loss <c>softplus(−D(G(z)))</c> (batch mean).</param>
/// <param name="R1">The R1 penalty <c>mean Σ ‖∇D(real)‖²</c> (unweighted), or null on steps without R1.</param>
/// <param name="Seconds">Wall time of the step.</param>
/// <param name="ImagesPerSecond">Real images consumed per second.</param>
public sealed record StepResult(long Step, double DLoss, double GLoss, double? R1, double Seconds, double ImagesPerSecond);

/// <summary>
/// StyleGAN2 training after rosinality's <c>train.py</c>: each <see cref="Step"/> is one D step (logistic loss on a
/// batch of reals and a batch of G's fakes), on every <c>d_reg_every</c>-th step one lazy R1 step on the reals, one G
/// step (non-saturating loss), then the EMA of G into G_ema. Path-length regularisation is not used, so G's Adam has
/// no lazy-regularisation correction; D's has lr·r and betas^r with r = d_reg_every / (d_reg_every + 1).
/// <para>
/// Randomness: step t draws its z's, mixing decisions, inject indices and synthesis noise from a
/// <see cref="torch.Generator"/> seeded from (Seed, t), and its real images from a <see cref="ShapeSampler"/> seeded
/// from (WorldSeed, t). A checkpoint therefore needs no RNG state: <see cref="Resume"/> continues bit for bit.
/// </para>
/// </summary>
public sealed class StyleGan2Trainer : IDisposable
{
    private const string Magic = "StyleBridge.StyleGan2Trainer/1";
    private const ulong SeedMultiplier = 1_000_003;
    private const ulong WorldStreamSalt = 0x5348_4150_4553_0001; // "SHAPES", keeps the world seeds apart from the z seeds
    internal static readonly object InitLock = new();

    private readonly Func<long, Tensor>? realSource;
    private readonly TorchSharp.Modules.Adam gOptim;
    private readonly TorchSharp.Modules.Adam dOptim;
    private readonly List<(Parameter Ema, Parameter Source)> emaPairs;
    private readonly List<Parameter> gParameters;
    private readonly List<Parameter> dParameters;

    /// <summary>A new run: G, D and G_ema (a copy of G) initialised from <see cref="StyleGan2TrainerOptions.Seed"/>.</summary>
    /// <param name="realSource">
    /// Real images for step t, [Batch, 3, Size, Size] in [-1, 1] (owned by the trainer once returned); null: the Shapes
    /// world. A source is code, not state: pass the same one to <see cref="Resume"/>.
    /// </param>
    public StyleGan2Trainer(StyleGan2TrainerOptions options, Func<long, Tensor>? realSource = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        this.realSource = realSource;
        var config = options.GeneratorConfig();

        // Initial weights from the run's seed. The modules draw from the global generator (as PyTorch's do), so the
        // construction is serialised; other threads drawing at the same moment would still perturb it.
        lock (InitLock)
        {
            manual_seed(options.Seed);
            G = new Generator(config);
            D = new Discriminator(options.Size, options.Channels);
            GEma = new Generator(config);
        }

        StateDicts.LoadInto(GEma, G.state_dict());
        GEma.Freeze();
        G.train();
        D.train();

        gParameters = [.. G.parameters()];
        dParameters = [.. D.parameters()];
        double gRatio = 1; // path-length regularisation (g_reg_every) is not used
        double dRatio = options.UsesR1 ? options.DRegEvery / (options.DRegEvery + 1.0) : 1;
        gOptim = optim.Adam(gParameters, options.LearningRate * gRatio, Math.Pow(0, gRatio), Math.Pow(0.99, gRatio));
        dOptim = optim.Adam(dParameters, options.LearningRate * dRatio, Math.Pow(0, dRatio), Math.Pow(0.99, dRatio));

        var source = G.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        emaPairs = [.. GEma.named_parameters().Select(p => (p.parameter, source[p.name]))];
    }

    public StyleGan2TrainerOptions Options { get; }

    /// <summary>The generator being trained.</summary>
    public Generator G { get; }

    public Discriminator D { get; }

    /// <summary>The exponential moving average of <see cref="G"/> (eval mode, frozen): the generator to export.</summary>
    public Generator GEma { get; }

    /// <summary>Steps taken so far (the index of the next step).</summary>
    public long StepCount { get; private set; }

    /// <summary>EMA decay per step: 0.5^(batch / (1000 · ema_kimg)).</summary>
    public double EmaDecay => Math.Pow(0.5, Options.Batch / (1000 * Options.EmaKimg));

    /// <summary>Whether step <paramref name="step"/> runs the lazy R1 step (rosinality: <c>i % d_reg_every == 0</c>).</summary>
    public bool RegularisesAt(long step) => Options.UsesR1 && step % Options.DRegEvery == 0;

    /// <summary>The seed of step <paramref name="step"/>'s z / noise / mixing generator.</summary>
    public static ulong StepSeed(long seed, long step) => unchecked((ulong)seed * SeedMultiplier + (ulong)step);

    /// <summary>Real images of step <paramref name="step"/> from the Shapes world, [Batch, 3, Size, Size] in [-1, 1].</summary>
    public Tensor WorldBatch(long step)
    {
        ulong worldSeed = Options.WorldSeed ?? unchecked((ulong)Options.Seed);
        var sampler = new ShapeSampler(unchecked((worldSeed ^ WorldStreamSalt) * SeedMultiplier + (ulong)step));
        return RenderAt(sampler.SampleBatch(Options.Batch), Options.Size);
    }

    /// <summary>Renders at <paramref name="size"/> px (area-downsampled from the world's 64), [N, 3, size, size] in [-1, 1].</summary>
    internal static Tensor RenderAt(IReadOnlyList<ShapeScene> scenes, int size)
    {
        using var scope = NewDisposeScope();
        var images = ShapeSampler.Render(scenes);
        int factor = StyleGan2TrainerOptions.WorldSize / size;
        if (factor > 1)
            images = nn.functional.avg_pool2d(images, factor);
        return images.MoveToOuterDisposeScope();
    }

    /// <summary>One D step (plus R1 when due), one G step, one EMA update.</summary>
    public StepResult Step() => Step(trainGenerator: true);

    /// <summary>
    /// A step; without <paramref name="trainGenerator"/> only its D part (and R1 when due) runs, G and G_ema stay as
    /// they are and the G loss is NaN. The step's draws are the same either way.
    /// </summary>
    internal StepResult Step(bool trainGenerator)
    {
        var clock = Stopwatch.StartNew();
        long step = StepCount;
        int batch = Options.Batch;
        double dLoss, gLoss = double.NaN;
        double? r1 = null;
        using (var scope = NewDisposeScope())
        using (var rng = new torch.Generator(StepSeed(Options.Seed, step)))
        {
            var reals = Reals(step);
            var noise = new SynthesisOptions(NoiseMode.Random, rng);

            // ---- D: logistic loss on reals and (detached) fakes ----
            Tensor fakes;
            using (no_grad())
                fakes = G.Synthesize(MixedLatents(rng), noise);
            var fakePred = D.Forward(fakes);
            var realPred = D.Forward(reals);
            var dLossTensor = LogisticGan.DiscriminatorLoss(realPred, fakePred);
            dOptim.zero_grad();
            dLossTensor.backward();
            dOptim.step();
            dLoss = dLossTensor.item<float>();

            // ---- lazy R1 on reals: γ/2 · mean Σ‖∇ₓD(x)‖² · d_reg_every (+ 0·D(x)[0], as the reference) ----
            if (RegularisesAt(step))
                r1 = LogisticGan.LazyR1Step(D.Forward, dOptim, reals, Options.R1Gamma, Options.DRegEvery);

            // ---- G: non-saturating loss through a frozen D, then the EMA ----
            if (trainGenerator)
            {
                SetRequiresGrad(dParameters, false);
                try
                {
                    var images = G.Synthesize(MixedLatents(rng), noise);
                    var gLossTensor = LogisticGan.GeneratorLoss(D.Forward(images));
                    gOptim.zero_grad();
                    gLossTensor.backward();
                    gOptim.step();
                    gLoss = gLossTensor.item<float>();
                }
                finally
                {
                    SetRequiresGrad(dParameters, true);
                }

                Accumulate(EmaDecay);
            }
        }

        StepCount = step + 1;
        double seconds = clock.Elapsed.TotalSeconds;
        return new StepResult(step, dLoss, gLoss, r1, seconds, batch / Math.Max(seconds, 1e-9));
    }

    internal TorchSharp.Modules.Adam GOptimizer => gOptim;
    internal TorchSharp.Modules.Adam DOptimizer => dOptim;

    private Tensor Reals(long step)
    {
        var images = realSource?.Invoke(step) ?? WorldBatch(step);
        long size = Options.Size;
        if (images.dim() != 4 || images.size(0) != Options.Batch || images.size(1) != 3 || images.size(2) != size || images.size(3) != size
            || images.dtype != ScalarType.Float32)
            throw new InvalidOperationException(
                $"the real-image source gave {images.dtype} {TensorBytes.Format(images.shape)}, expected float32 [{Options.Batch}, 3, {size}, {size}]");
        return images;
    }

    /// <summary>
    /// rosinality's <c>mixing_noise</c> + generator: with probability <c>mixing</c> two z's mixed at a random inject
    /// index in [1, L − 1], otherwise one z for every W+ row. [Batch, L, W].
    /// </summary>
    private Tensor MixedLatents(torch.Generator rng)
    {
        using var scope = NewDisposeScope();
        long batch = Options.Batch, zDim = G.Config.ZDim;
        bool mix = Options.Mixing > 0 && rand(new long[] { 1 }, generator: rng).item<float>() < Options.Mixing;
        if (!mix)
            return G.Broadcast(G.Map(randn(new long[] { batch, zDim }, generator: rng))).MoveToOuterDisposeScope();
        var z = randn(new long[] { 2, batch, zDim }, generator: rng);
        return G.MixStyles(G.Map(z[0]), G.Map(z[1]), rng).MoveToOuterDisposeScope();
    }

    internal static void SetRequiresGrad(List<Parameter> parameters, bool value)
    {
        foreach (var p in parameters)
            p.requires_grad = value;
    }

    /// <summary>rosinality's <c>accumulate</c>: ema ← ema·β + g·(1 − β) for every parameter (buffers untouched).</summary>
    private void Accumulate(double decay) => Accumulate(emaPairs, decay);

    internal static void Accumulate(IReadOnlyList<(Parameter Ema, Parameter Source)> pairs, double decay)
    {
        using var _ = no_grad();
        foreach (var (ema, source) in pairs)
            ema.MulScalar_(decay).add_(source, alpha: 1 - decay);
    }

    // ---- checkpoints ----

    /// <summary>
    /// Writes everything a run needs to continue: the options, the step counter, G, D and G_ema (every parameter and
    /// persistent buffer) and both Adam states. Written beside the path and moved into place when complete.
    /// </summary>
    public void Save(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        string temp = checkpointPath + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Magic);
                writer.Write(JsonSerializer.Serialize(Options));
                writer.Write(StepCount);
                WriteModule(writer, G);
                WriteModule(writer, D);
                WriteModule(writer, GEma);
                gOptim.save_state_dict(writer);
                dOptim.save_state_dict(writer);
            }

            File.Move(temp, checkpointPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>A run continued from <see cref="Save"/>'s checkpoint (with the same real-image source, if any).</summary>
    public static StyleGan2Trainer Resume(string checkpointPath, Func<long, Tensor>? realSource = null)
    {
        using var stream = File.OpenRead(checkpointPath);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        string magic = reader.ReadString();
        if (magic != Magic)
            throw new InvalidDataException($"{checkpointPath} is not a StyleGAN2 training checkpoint (header '{magic}')");
        var options = JsonSerializer.Deserialize<StyleGan2TrainerOptions>(reader.ReadString())
            ?? throw new InvalidDataException($"{checkpointPath}: no options");
        long step = reader.ReadInt64();
        var trainer = new StyleGan2Trainer(options, realSource);
        try
        {
            ReadModule(reader, trainer.G, "G");
            ReadModule(reader, trainer.D, "D");
            ReadModule(reader, trainer.GEma, "G_ema");
            trainer.gOptim.load_state_dict(reader);
            trainer.dOptim.load_state_dict(reader);
            if (stream.Position != stream.Length)
                throw new InvalidDataException($"{checkpointPath}: {stream.Length - stream.Position} unread bytes after the optimiser states");
            trainer.StepCount = step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A new run whose G and G_ema both start from an exported generator (<see cref="ExportGenerator"/>'s file, its
    /// <c>latent_avg</c> aside) and whose step counter continues from the file's <c>step</c>; D and both Adam states
    /// start fresh from the options' seed. For continuing a run whose full checkpoint is lost.
    /// </summary>
    public static StyleGan2Trainer WarmStart(StyleGan2TrainerOptions options, string generatorPath, Func<long, Tensor>? realSource = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(generatorPath);
        using var weights = SafeTensors.Load(generatorPath);
        long step = weights.Metadata.TryGetValue("step", out var text) ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var trainer = new StyleGan2Trainer(options, realSource);
        try
        {
            StateDicts.LoadInto(trainer.G, weights, ignore: ["latent_avg"]);
            StateDicts.LoadInto(trainer.GEma, weights, ignore: ["latent_avg"]);
            trainer.StepCount = step;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    private static void WriteModule(BinaryWriter writer, nn.Module module)
    {
        var entries = StateDicts.Of(module);
        writer.Write(entries.Count);
        foreach (var (name, tensor) in entries)
        {
            writer.Write(name);
            writer.Write((int)tensor.dtype);
            writer.Write(tensor.dim());
            foreach (long d in tensor.shape)
                writer.Write(d);
            byte[] data = TensorBytes.ToBytes(tensor);
            writer.Write(data.Length);
            writer.Write(data);
        }
    }

    private static void ReadModule(BinaryReader reader, nn.Module module, string what)
    {
        var own = StateDicts.Of(module).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        int count = reader.ReadInt32();
        if (count != own.Count)
            throw new InvalidDataException($"{what}: the checkpoint has {count} tensors, the model {own.Count}");
        using var _ = no_grad();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            var dtype = (ScalarType)reader.ReadInt32();
            var shape = new long[reader.ReadInt64()];
            for (int d = 0; d < shape.Length; d++)
                shape[d] = reader.ReadInt64();
            byte[] data = reader.ReadBytes(reader.ReadInt32());
            if (!own.TryGetValue(name, out var target))
                throw new InvalidDataException($"{what}: the checkpoint's '{name}' is not in the model");
            if (target.dtype != dtype || !target.shape.AsSpan().SequenceEqual(shape))
                throw new InvalidDataException($"{what}.{name}: checkpoint {dtype} {TensorBytes.Format(shape)}, model {target.dtype} {TensorBytes.Format(target.shape)}");
            using var value = TensorBytes.FromBytes(data, dtype, shape);
            target.copy_(value);
        }
    }

    // ---- export ----

    /// <summary>
    /// Writes G_ema in rosinality names plus <c>latent_avg</c> [W] (the mean of 4096 mapped z's, drawn from a
    /// generator seeded from the run) as safetensors: <see cref="Generator.FromFile"/> loads it.
    /// </summary>
    public void ExportGenerator(string path, int latentAvgSamples = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentAvgSamples, 1);
        using var scope = NewDisposeScope();
        using var rng = new torch.Generator(StepSeed(~Options.Seed, StepCount));
        Tensor average;
        using (no_grad())
            average = GEma.MeanLatent(latentAvgSamples, rng).reshape(-1);
        WriteGenerator(GEma, average, path, new Dictionary<string, string>
        {
            ["format"] = "rosinality",
            ["producer"] = nameof(StyleGan2Trainer),
            ["step"] = StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["images_seen"] = (StepCount * Options.Batch).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["options"] = JsonSerializer.Serialize(Options),
        });
    }

    /// <summary>A generator's state dict in rosinality names plus <c>latent_avg</c> [W], as safetensors with metadata.</summary>
    internal static void WriteGenerator(Generator generator, Tensor latentAverage, string path, IReadOnlyDictionary<string, string> metadata)
    {
        var tensors = StateDicts.Of(generator).Where(e => e.Key != "latent_avg").ToList();
        tensors.Add(new("latent_avg", latentAverage.reshape(-1)));
        SafeTensors.Save(path, tensors, metadata);
    }

    public void Dispose()
    {
        gOptim.Dispose();
        dOptim.Dispose();
        G.Dispose();
        D.Dispose();
        GEma.Dispose();
    }
}
