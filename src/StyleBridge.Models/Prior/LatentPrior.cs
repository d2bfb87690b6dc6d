using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Prior;

/// <summary>Sampling settings of <see cref="LatentPrior.Sample"/>.</summary>
/// <param name="CondScale">Classifier-free guidance scale on the x0 prediction; 1 runs only the conditional pass.</param>
/// <param name="Skip">Timestep skip S (divides T): the chain visits T − S, ..., S, 0.</param>
/// <param name="Truncation">ψ toward <c>latent_mean</c> (1: off).</param>
public sealed record PriorSampling(double CondScale = 1.0, int Skip = 1, double Truncation = 1.0);

/// <summary>One sampling run's trajectory (for inspection and tests): per step t, its input x, predictions and the noise drawn.</summary>
public sealed class PriorTrajectory : IDisposable
{
    public List<long> Timesteps { get; } = [];
    public List<Tensor> X { get; } = [];
    public List<Tensor> X0 { get; } = [];
    public List<Tensor> Noise { get; } = [];

    public void Dispose()
    {
        foreach (var t in X.Concat(X0).Concat(Noise))
            t.Dispose();
    }
}

/// <summary>
/// clip2latent's <c>LatentPrior</c>: the <see cref="DiffusionPriorNetwork"/> (<c>net</c>), the twelve schedule
/// buffers, and the z-score statistics of w (<c>latent_mean</c>, <c>latent_std</c>). It predicts x0 (normalised w),
/// samples by ancestral DDPM with the reference's timestep skipping, guides by <c>cond_scale</c>, de-normalises,
/// truncates toward <c>latent_mean</c>, and repeats w to W+.
/// </summary>
public sealed class LatentPrior : TorchModule
{
    /// <summary>The prefix of the EMA copy in the released trainer checkpoints: what inference reads.</summary>
    public const string EmaPrefix = "ema_diffusion_prior.ema_model.";

    private readonly Dictionary<int, RespacedSchedule> respaced = [];

    public LatentPrior(PriorConfig config) : base(nameof(LatentPrior))
    {
        Config = config;
        foreach (var (name, value) in NoiseSchedule.Cosine(config.NumTimesteps))
            RegisterBuffer(name, value);
        RegisterBuffer("latent_mean", zeros(config.Dim));
        RegisterBuffer("latent_std", ones(config.Dim));
        Net = RegisterModule("net", new DiffusionPriorNetwork(config));
    }

    public PriorConfig Config { get; }
    public DiffusionPriorNetwork Net { get; }
    public Tensor LatentMean => Buffer("latent_mean");
    public Tensor LatentStd => Buffer("latent_std");
    public Tensor AlphasCumprod => Buffer("alphas_cumprod");

    /// <summary>Keys that need not be in a checkpoint: recomputable, compared with the computed values when present.</summary>
    public static bool IsRecomputable(string key) =>
        NoiseSchedule.BufferNames.Contains(key) || key.EndsWith(".rotary_emb.freqs", StringComparison.Ordinal);

    /// <summary>
    /// A prior from a weight file: a released trainer checkpoint (<c>.ckpt</c> zip with <c>state_dict</c>; the EMA copy
    /// is read, everything else ignored), a safetensors file with the EMA copy's names, or our own files with relative
    /// names (<c>net.*</c>). The configuration is inferred from the shapes; <c>latent_repeats</c>, which no shape
    /// holds, comes from the safetensors metadata when present, else <paramref name="latentRepeats"/>.
    /// </summary>
    public static LatentPrior FromFile(string path, int? latentRepeats = null)
    {
        string? key = null;
        if (WeightFiles.Detect(path) is not WeightFileFormat.SafeTensors &&
            TorchCheckpoint.Inspect(path) is PickleDict top && top.ContainsKey("state_dict"))
            key = "state_dict";
        using var raw = WeightFiles.LoadStateDict(path, key);
        int repeats = latentRepeats
            ?? (raw.Metadata.TryGetValue("latent_repeats", out string? text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 18);
        return FromStateDict(raw, repeats);
    }

    /// <summary>As <see cref="FromFile"/>, from tensors in memory (only read).</summary>
    public static LatentPrior FromStateDict(IReadOnlyDictionary<string, Tensor> raw, int latentRepeats = 18)
    {
        var relative = Relative(raw);
        var config = PriorConfig.Infer(relative, latentRepeats);
        var prior = new LatentPrior(config);
        try
        {
            prior.LoadWeights(relative);
            prior.Freeze();
            return prior;
        }
        catch
        {
            prior.Dispose();
            throw;
        }
    }

    /// <summary>The model's own names: the EMA copy when the tensors are a trainer's, else the tensors as they are.</summary>
    public static Dictionary<string, Tensor> Relative(IReadOnlyDictionary<string, Tensor> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        bool trainer = raw.Keys.Any(k => k.StartsWith(EmaPrefix, StringComparison.Ordinal));
        if (trainer)
            return raw.Where(kv => kv.Key.StartsWith(EmaPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[EmaPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        if (!raw.ContainsKey("net.learned_query"))
            throw new PriorFormatException(
                $"not a clip2latent prior: neither '{EmaPrefix}*' (a trainer checkpoint) nor 'net.learned_query' is present");
        return raw.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Strict load of the required tensors; schedule buffers and rotary frequencies, when present, are loaded too after a
    /// sanity check against the recomputed values (a different schedule is a different model).
    /// </summary>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> relative)
    {
        var own = state_dict();
        var source = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var problems = new List<string>();
        using var scope = NewDisposeScope();
        foreach (var (name, value) in relative)
        {
            var widened = value.dtype == ScalarType.Float32 ? value : value.to(ScalarType.Float32);
            if (IsRecomputable(name) && own.TryGetValue(name, out var computed) && computed.shape.SequenceEqual(value.shape))
            {
                double diff = widened.sub(computed).abs().max().to(ScalarType.Float64).item<double>();
                double scale = computed.abs().max().to(ScalarType.Float64).item<double>();
                if (!(diff <= 1e-5 * Math.Max(scale, 1)))
                    problems.Add($"{name} differs from the cosine schedule / rotary frequencies this code computes (max |Δ| {diff:G3})");
            }
            source[name] = widened;
        }
        if (problems.Count > 0)
            throw new PriorFormatException(string.Join("; ", problems));
        foreach (var (name, value) in own)
            if (IsRecomputable(name) && !source.ContainsKey(name))
                source[name] = value;
        StateDicts.LoadInto(this, source);
        respaced.Clear();
    }

    /// <summary>The respaced coefficients for <paramref name="skip"/> (computed once per skip from this model's buffers).</summary>
    public RespacedSchedule Respaced(int skip)
    {
        lock (respaced)
        {
            if (!respaced.TryGetValue(skip, out var schedule))
            {
                using var scope = NewDisposeScope();
                schedule = RespacedSchedule.Create(skip,
                    Buffer("alphas_cumprod").cpu().to(ScalarType.Float32).data<float>().ToArray(),
                    Buffer("posterior_log_variance_clipped").cpu().to(ScalarType.Float32).data<float>().ToArray());
                respaced[skip] = schedule;
            }
            return schedule;
        }
    }

    /// <summary>The conditional (and, when <paramref name="condScale"/> ≠ 1, null) predictions, guided: <c>null + (cond − null)·scale</c>.</summary>
    public Tensor GuidedPrediction(Tensor x, Tensor t, Tensor condition, double condScale, Action<Tensor, Tensor?>? observe = null)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        if (condScale == 1.0)
        {
            var cond = Net.Forward(x, t, condition, ones(b, dtype: ScalarType.Bool, device: x.device));
            observe?.Invoke(cond, null);
            return cond.MoveToOuterDisposeScope();
        }

        // one pass over [cond; null]: the same numbers as two passes, half the calls
        var keep = cat([ones(b, dtype: ScalarType.Bool, device: x.device), zeros(b, dtype: ScalarType.Bool, device: x.device)]);
        var both = Net.Forward(cat([x, x]), cat([t, t]), cat([condition, condition]), keep);
        var conditional = both[TensorIndex.Slice(0, b)];
        var nullPrediction = both[TensorIndex.Slice(b)];
        observe?.Invoke(conditional, nullPrediction);
        return nullPrediction.add(conditional.sub(nullPrediction).MulScalar(condScale)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Samples normalised latents z [B, D] (the last step's x0 prediction) for raw conditions [B, D]. The noise comes
    /// from <paramref name="noise"/>: called with a shape, once for the start and once per step (also at t = 0, where it
    /// is multiplied by 0), as the reference draws it.
    /// </summary>
    public Tensor SampleNormalized(Tensor condition, PriorSampling sampling, Func<long[], Tensor> noise,
        PriorTrajectory? trajectory = null, CancellationToken cancellation = default)
    {
        ValidateCondition(condition);
        var schedule = Respaced(sampling.Skip);
        using var scope = NewDisposeScope();
        long b = condition.shape[0];
        var dtype = condition.dtype;
        var x = noise([b, Config.Dim]).to(dtype);
        trajectory?.Noise.Add(x.detach().clone().DetachFromDisposeScope());
        Tensor x0 = x;
        for (int k = schedule.Steps - 1; k >= 0; k--)
        {
            cancellation.ThrowIfCancellationRequested();
            long step = schedule.Timesteps[k];
            var t = full(b, step, dtype: ScalarType.Int64, device: condition.device);
            x0 = GuidedPrediction(x, t, condition, sampling.CondScale);
            var mean = x0.MulScalar(schedule.Coef1[k]).add(x.MulScalar(schedule.Coef2[k]));
            var eps = noise([b, Config.Dim]).to(dtype);
            if (trajectory is not null)
            {
                trajectory.Timesteps.Add(step);
                trajectory.X.Add(x.detach().clone().DetachFromDisposeScope());
                trajectory.X0.Add(x0.detach().clone().DetachFromDisposeScope());
                trajectory.Noise.Add(eps.detach().clone().DetachFromDisposeScope());
            }
            float nonzero = step > 0 ? 1f : 0f;
            x = mean.add(eps.MulScalar(nonzero * schedule.Sigma[k]));
        }
        return x0.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// w [B, D] for raw conditions [B, D]: sampled, de-normalised (<c>z·latent_std + latent_mean</c>) and truncated
    /// toward <c>latent_mean</c>. The noise is drawn from <paramref name="generator"/> (or the global one).
    /// </summary>
    public Tensor Sample(Tensor condition, PriorSampling sampling, torch.Generator? generator = null,
        PriorTrajectory? trajectory = null, CancellationToken cancellation = default)
    {
        using var scope = NewDisposeScope();
        var z = SampleNormalized(condition, sampling,
            shape => randn(shape, dtype: ScalarType.Float32, generator: generator).to(condition.device), trajectory, cancellation);
        return Denormalize(z, sampling.Truncation).MoveToOuterDisposeScope();
    }

    /// <summary><c>w = z·latent_std + latent_mean</c>, then <c>latent_mean + ψ·(w − latent_mean)</c> when ψ &lt; 1.</summary>
    public Tensor Denormalize(Tensor z, double truncation = 1.0)
    {
        using var scope = NewDisposeScope();
        var mean = LatentMean.to(z.dtype);
        var w = z.mul(LatentStd.to(z.dtype)).add(mean);
        if (truncation < 1.0)
            w = mean.add(w.sub(mean).MulScalar(truncation));
        return w.MoveToOuterDisposeScope();
    }

    /// <summary>w [B, D] repeated to W+ [B, <paramref name="repeats"/>, D] (default: <see cref="PriorConfig.LatentRepeats"/>).</summary>
    public Tensor ToWPlus(Tensor w, int? repeats = null) =>
        w.unsqueeze(1).expand(w.shape[0], repeats ?? Config.LatentRepeats, w.shape[1]).contiguous();

    /// <summary>The training target of a w batch: <c>(w − latent_mean) / latent_std</c>.</summary>
    public Tensor Normalize(Tensor w)
    {
        using var scope = NewDisposeScope();
        return w.sub(LatentMean.to(w.dtype)).div(LatentStd.to(w.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>Sets the z-score statistics (e.g. measured on generated data before training).</summary>
    public void SetLatentStatistics(Tensor mean, Tensor std)
    {
        using (no_grad())
        {
            LatentMean.copy_(mean);
            LatentStd.copy_(std);
        }
    }

    private void ValidateCondition(Tensor condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition.dim() != 2 || condition.shape[1] != Config.Dim)
            throw new ArgumentException($"the prior's condition must be [batch, {Config.Dim}], got {TensorBytes.Format(condition.shape)}", nameof(condition));
        if (condition.shape[0] == 0)
            throw new ArgumentException("the prior's condition batch is empty", nameof(condition));
        if (!condition.dtype.IsFloatingPoint())
            throw new ArgumentException($"the prior's condition must be floating point, got {condition.dtype}", nameof(condition));
    }
}
