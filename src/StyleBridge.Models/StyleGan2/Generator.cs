using StyleBridge.Torch;
using RandomGenerator = TorchSharp.torch.Generator;

namespace StyleBridge.Models.StyleGan2;

/// <summary>Noise fed to the styled convs.</summary>
public enum NoiseMode
{
    /// <summary>The model's constant buffers <c>noises.noise_i</c> (rosinality randomize_noise=False, NVIDIA 'const').</summary>
    Const,

    /// <summary>Fresh N(0, 1) maps [N, 1, R, R] per call, drawn from <see cref="SynthesisOptions.NoiseGenerator"/>.</summary>
    Random,

    /// <summary>No noise (NVIDIA 'none').</summary>
    None,
}

/// <param name="Noise">Which noise to inject.</param>
/// <param name="NoiseGenerator">Source of <see cref="NoiseMode.Random"/> noise (on the model's device); null: the global generator.</param>
/// <param name="ForceFp32">Keep float32 even where the config runs float16 on CUDA (NVIDIA force_fp32).</param>
public sealed record SynthesisOptions(NoiseMode Noise = NoiseMode.Const, RandomGenerator? NoiseGenerator = null, bool ForceFp32 = false)
{
    public static SynthesisOptions Default { get; } = new();
}

/// <summary>
/// The StyleGAN2 generator, registered under rosinality's names (<c>style</c>, <c>input</c>, <c>conv1</c>,
/// <c>to_rgb1</c>, <c>convs</c>, <c>to_rgbs</c>, <c>noises</c>) so rosinality state dicts load as they are; NVIDIA
/// weights come in through <see cref="NvidiaLayout"/>. z [N, Z] → w [N, W] → W+ [N, L, W] → S (one vector per
/// modulated layer) → image [N, 3, size, size], unclamped (nominally [-1, 1]).
/// </summary>
public sealed class Generator : TorchModule
{
    private readonly List<ModulatedConv2d> styleModules = [];
    private bool hasLatentAvg;

    public Generator(StyleGan2Config config) : base(nameof(Generator))
    {
        Config = config;
        int c4 = config.Channels[4], w = config.StyleDim;
        Style = RegisterModule("style", new MappingNetwork(config.ZDim, w, config.NMlp, config.LrMlp));
        Input = RegisterModule("input", new ConstantInput(c4));
        Conv1 = RegisterModule("conv1", new StyledConv(c4, c4, 3, w, upsample: false, config));
        ToRgb1 = RegisterModule("to_rgb1", new ToRGB(c4, w, upsample: false, config));
        Convs = RegisterModule("convs", new ModuleList<StyledConv>());
        ToRgbs = RegisterModule("to_rgbs", new ModuleList<ToRGB>());
        Noises = RegisterModule("noises", new NoiseBuffers(config.NumNoises));

        styleModules.Add(Conv1.Conv);
        styleModules.Add(ToRgb1.Conv);
        int inChannel = c4;
        for (int r = 8; r <= config.Size; r *= 2)
        {
            int outChannel = config.Channels[r];
            Convs.Add(new StyledConv(inChannel, outChannel, 3, w, upsample: true, config));
            Convs.Add(new StyledConv(outChannel, outChannel, 3, w, upsample: false, config));
            ToRgbs.Add(new ToRGB(outChannel, w, upsample: true, config));
            styleModules.Add(Convs[^2].Conv);
            styleModules.Add(Convs[^1].Conv);
            styleModules.Add(ToRgbs[^1].Conv);
            inChannel = outChannel;
        }

        // Not part of rosinality's state_dict (its checkpoints keep latent_avg beside g_ema), hence not persistent.
        RegisterBuffer("latent_avg", zeros(new long[] { w }), persistent: false);
        StyleSpace = new StyleSpace(config);
    }

    /// <summary>A generator with the weights of a file (see <see cref="StyleGan2Weights.Read"/>), in eval mode, frozen.</summary>
    public static Generator FromFile(string path, Func<StyleGan2Config, StyleGan2Config>? configure = null)
    {
        using var weights = StyleGan2Weights.Read(path);
        return FromWeights(weights, configure);
    }

    /// <summary>A generator for the weights' config (adjusted by <paramref name="configure"/>), loaded, in eval mode, frozen.</summary>
    public static Generator FromWeights(StyleGan2Weights weights, Func<StyleGan2Config, StyleGan2Config>? configure = null)
    {
        var config = configure?.Invoke(weights.Config) ?? weights.Config;
        var generator = new Generator(config);
        try
        {
            generator.LoadWeights(weights.StateDict);
            generator.SetLatentAvg(weights.LatentAvg);
            generator.Freeze();
            return generator;
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }

    public StyleGan2Config Config { get; }
    public StyleSpace StyleSpace { get; }
    public int NLatent => Config.NLatent;

    public MappingNetwork Style { get; }
    public ConstantInput Input { get; }
    public StyledConv Conv1 { get; }
    public ToRGB ToRgb1 { get; }
    public ModuleList<StyledConv> Convs { get; }
    public ModuleList<ToRGB> ToRgbs { get; }
    public NoiseBuffers Noises { get; }

    private Tensor LatentAvgBuffer => Buffer("latent_avg");

    /// <summary>The checkpoint's average w [W] (rosinality latent_avg, NVIDIA w_avg), or null if it has none.</summary>
    public Tensor? LatentAvg => hasLatentAvg ? LatentAvgBuffer : null;

    /// <summary>Stores (a copy of) the average latent, [W] or [1, W]; null forgets it.</summary>
    public void SetLatentAvg(Tensor? average)
    {
        if (average is null)
        {
            hasLatentAvg = false;
            return;
        }

        if (average.numel() != Config.StyleDim)
            throw new ArgumentException($"the average latent must have {Config.StyleDim} elements, got [{string.Join(", ", average.shape)}]", nameof(average));
        using (no_grad())
        using (var flat = average.reshape(-1))
            LatentAvgBuffer.copy_(flat);
        hasLatentAvg = true;
    }

    /// <summary>The modulated conv that owns S layer <paramref name="index"/> (forward order).</summary>
    public ModulatedConv2d StyleModule(int index) => styleModules[index];

    /// <summary>
    /// Loads a rosinality-named state dict (strict); an extra <c>latent_avg</c> entry becomes <see cref="LatentAvg"/>.
    /// </summary>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        StateDicts.LoadInto(this, stateDict, strict: true, ignore: ["latent_avg"]);
        if (stateDict.TryGetValue("latent_avg", out var average))
            SetLatentAvg(average);
    }

    // ---- W ----

    /// <summary>The mapping network: z [N, Z] → w [N, W].</summary>
    public Tensor Map(Tensor z)
    {
        if (z.dim() != 2 || z.size(0) == 0 || z.size(1) != Config.ZDim || !z.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected a floating z [N ≥ 1, {Config.ZDim}], got {z.dtype} {TensorBytes.Format(z.shape)}", nameof(z));
        return Style.Forward(z);
    }

    /// <summary>rosinality's <c>mean_latent(n)</c>: the mean of n mapped N(0, I) draws, [1, W].</summary>
    public Tensor MeanLatent(int n, RandomGenerator? generator = null)
    {
        using var scope = NewDisposeScope();
        var z = randn(new long[] { n, Config.ZDim }, LatentAvgBuffer.dtype, LatentAvgBuffer.device, generator: generator);
        return Map(z).mean([0], keepdim: true).MoveToOuterDisposeScope();
    }

    /// <summary>w [N, W] repeated to every W+ row: [N, L, W].</summary>
    public Tensor Broadcast(Tensor w)
    {
        using var scope = NewDisposeScope();
        return w.unsqueeze(1).repeat(1, NLatent, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Truncation toward <paramref name="average"/> (default: <see cref="LatentAvg"/>): <c>avg + ψ(w − avg)</c> on
    /// w [N, W], or on the W+ rows [0, cutoff) of ws [N, L, W] (cutoff default <see cref="StyleGan2Config.TruncationCutoff"/>,
    /// null: every row). ψ = 1 returns a copy.
    /// </summary>
    public Tensor Truncate(Tensor w, double psi, Tensor? average = null, int? cutoff = null)
    {
        using var scope = NewDisposeScope();
        if (psi == 1)
            return w.clone().MoveToOuterDisposeScope();
        var avg = (average ?? LatentAvg ?? throw new InvalidOperationException(
            "truncation needs an average latent: this checkpoint has none (rosinality training checkpoints do not store latent_avg); " +
            "pass one, e.g. MeanLatent(4096)")).reshape(-1).to(w.dtype);
        cutoff ??= Config.TruncationCutoff;
        if (w.dim() == 2 || cutoff is null || cutoff >= w.size(1))
            return avg.lerp(w, psi).MoveToOuterDisposeScope();
        var head = avg.lerp(w.slice(1, 0, cutoff.Value, 1), psi);
        return cat([head, w.slice(1, cutoff.Value, long.MaxValue, 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Style mixing: W+ rows [0, i) from w1, rows [i, L) from w2 (rosinality inject_index).</summary>
    public Tensor MixStyles(Tensor w1, Tensor w2, int injectIndex)
    {
        if (injectIndex < 0 || injectIndex > NLatent)
            throw new ArgumentOutOfRangeException(nameof(injectIndex), injectIndex, $"must lie in [0, {NLatent}]");
        using var scope = NewDisposeScope();
        long n = w1.size(0), d = w1.size(1);
        var first = w1.unsqueeze(1).expand(n, injectIndex, d);
        var second = w2.unsqueeze(1).expand(n, NLatent - injectIndex, d);
        return cat([first, second], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Style mixing at a random inject index in [1, L − 1], as rosinality draws it.</summary>
    public Tensor MixStyles(Tensor w1, Tensor w2, RandomGenerator generator)
    {
        int index;
        using (var draw = randint(1, NLatent, new long[] { 1 }, generator: generator))
            index = (int)draw.item<long>();
        return MixStyles(w1, w2, index);
    }

    // ---- S ----

    /// <summary>
    /// Every S vector in forward order (<see cref="StyleSpace"/>): layer k gets <c>modulation(ws[:, w_index(k)])</c>.
    /// <paramref name="ws"/> is W+ [N, L, W] or a single w [N, W] used for every layer. The caller owns the result.
    /// </summary>
    public Tensor[] Styles(Tensor ws)
    {
        CheckLatent(ws);
        var result = new Tensor[StyleSpace.Count];
        using var scope = NewDisposeScope();
        foreach (var layer in StyleSpace.Layers)
        {
            using var row = ws.dim() == 2 ? ws.alias() : ws.select(1, layer.WIndex);
            result[layer.Index] = styleModules[layer.Index].Modulation.Forward(row).MoveToOuterDisposeScope();
        }

        return result;
    }

    // ---- synthesis ----

    /// <summary>W+ [N, L, W] (or one w [N, W] for every row) → image [N, 3, size, size].</summary>
    public Tensor Synthesize(Tensor ws, SynthesisOptions? options = null)
    {
        using var scope = NewDisposeScope();
        var styles = Styles(ws);
        return SynthesizeFromStyles(styles, options).MoveToOuterDisposeScope();
    }

    /// <summary>rosinality's <c>g([z], truncation=ψ, truncation_latent=latent_avg)</c>: z [N, Z] → image.</summary>
    public Tensor Generate(Tensor z, double truncation = 1, SynthesisOptions? options = null)
    {
        using var scope = NewDisposeScope();
        var ws = Truncate(Broadcast(Map(z)), truncation);
        return Synthesize(ws, options).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Synthesis straight from S: one [N, C_k] tensor per <see cref="StyleSpace"/> layer, ToRGB layers included
    /// (edited or not). From unedited <see cref="Styles"/> it equals <see cref="Synthesize"/> exactly.
    /// </summary>
    public Tensor SynthesizeFromStyles(IReadOnlyList<Tensor> styles, SynthesisOptions? options = null)
    {
        StyleSpace.CheckStyles(styles);
        options ??= SynthesisOptions.Default;
        long n = styles[0].size(0);
        if (Config.MaxCpuBatch is not { } slice || n <= slice || Input.Input.device.IsCuda())
            return SynthesizeBatch(styles, options);

        using var scope = NewDisposeScope();
        var images = new List<Tensor>();
        for (long start = 0; start < n; start += slice)
        {
            long length = Math.Min(slice, n - start);
            images.Add(SynthesizeBatch(styles.Select(s => s.narrow(0, start, length)).ToArray(), options));
        }

        return cat(images, 0).MoveToOuterDisposeScope();
    }

    private Tensor SynthesizeBatch(IReadOnlyList<Tensor> styles, SynthesisOptions options)
    {
        using var scope = NewDisposeScope();
        long n = styles[0].size(0);

        // Each step frees the activation it consumed, so at most two resolutions' tensors are alive at once.
        var x = Input.Forward(n);
        x = Advance(x, Conv1.Forward(x, styles[0], Noise(options, 0, n)));
        var skip = ToRgb1.Forward(x, styles[1], null);
        int si = 2;
        for (int k = 0; k < ToRgbs.Count; k++)
        {
            x = Advance(x, ToBlockPrecision(x, 8 << k, options));
            x = Advance(x, Convs[2 * k].Forward(x, styles[si++], Noise(options, 2 * k + 1, n)));
            x = Advance(x, Convs[2 * k + 1].Forward(x, styles[si++], Noise(options, 2 * k + 2, n)));
            skip = Advance(skip, ToRgbs[k].Forward(x, styles[si++], skip));
        }

        return skip.MoveToOuterDisposeScope();
    }

    private static Tensor Advance(Tensor previous, Tensor next)
    {
        if (!ReferenceEquals(previous, next))
            previous.Dispose();
        return next;
    }

    private Tensor? Noise(SynthesisOptions options, int index, long batch) => options.Noise switch
    {
        NoiseMode.Const => Noises[index],
        NoiseMode.None => null,
        _ => randn(new long[] { batch, 1, NoiseBuffers.Resolution(index), NoiseBuffers.Resolution(index) },
            Noises[index].dtype, Noises[index].device, generator: options.NoiseGenerator),
    };

    // NVIDIA runs its top num_fp16_res blocks in float16 on CUDA (never on the CPU, never for a float64 model).
    private Tensor ToBlockPrecision(Tensor x, int resolution, SynthesisOptions options)
    {
        bool half = Config.UsesFp16(resolution) && x.device.IsCuda() && !options.ForceFp32 && Input.Input.dtype == ScalarType.Float32;
        var target = half ? ScalarType.Float16 : Input.Input.dtype;
        return x.dtype == target ? x : x.to(target);
    }

    private void CheckLatent(Tensor ws)
    {
        bool ok = ws.dim() == 2 ? ws.size(1) == Config.StyleDim
            : ws.dim() == 3 && ws.size(1) == NLatent && ws.size(2) == Config.StyleDim;
        if (!ok || ws.size(0) == 0 || !ws.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected a floating w [N ≥ 1, {Config.StyleDim}] or W+ [N ≥ 1, {NLatent}, {Config.StyleDim}], got {ws.dtype} {TensorBytes.Format(ws.shape)}", nameof(ws));
    }
}
