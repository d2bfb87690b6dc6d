using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Engine.Training;

/// <summary>
/// A StyleGAN2 training run on the Shapes world, after rosinality's <c>train.py</c> (non-saturating logistic loss,
/// lazy R1 on reals, style mixing, EMA of G; no path-length regularisation, no ADA). Everything a resumed run needs
/// to continue bit for bit is in here or derived from <see cref="Seed"/> and the step number.
/// </summary>
public sealed record StyleGan2TrainerOptions
{
    /// <summary>Image resolution: a power of two, 4 … 64 (the Shapes world renders 64×64; smaller sizes are area-downsampled).</summary>
    public int Size { get; init; } = 64;

    /// <summary>w (and z) width (rosinality <c>latent</c>).</summary>
    public int StyleDim { get; init; } = 128;

    /// <summary>Mapping depth (rosinality <c>n_mlp</c>).</summary>
    public int NMlp { get; init; } = 4;

    /// <summary>Feature maps per resolution 4 … <see cref="Size"/>, shared by G and D as in rosinality.</summary>
    public IReadOnlyDictionary<int, int> Channels { get; init; } = new Dictionary<int, int>
    {
        [4] = 128, [8] = 128, [16] = 128, [32] = 64, [64] = 32,
    };

    public int Batch { get; init; } = 16;

    /// <summary>Base learning rate of both Adams (rosinality <c>lr</c>, 0.002), before the lazy-regularisation correction.</summary>
    public double LearningRate { get; init; } = 0.002;

    /// <summary>R1 weight γ (rosinality <c>r1</c>, 10); 0 turns R1 off.</summary>
    public double R1Gamma { get; init; } = 10;

    /// <summary>R1 every this many steps (rosinality <c>d_reg_every</c>, 16); the D Adam is corrected by 16/17.</summary>
    public int DRegEvery { get; init; } = 16;

    /// <summary>Probability of style mixing (rosinality <c>mixing</c>, 0.9).</summary>
    public double Mixing { get; init; } = 0.9;

    /// <summary>EMA half-life of G_ema in thousands of images: β = 0.5^(batch / (1000 · EmaKimg)).</summary>
    public double EmaKimg { get; init; } = 10;

    /// <summary>Seed of the initial weights and of every step's z, noise and mixing draws.</summary>
    public long Seed { get; init; }

    /// <summary>Seed of the Shapes world's real images (null: <see cref="Seed"/>).</summary>
    public ulong? WorldSeed { get; init; }

    /// <summary>The mapping network's learning-rate multiplier (rosinality 0.01).</summary>
    public double LrMlp { get; init; } = 0.01;

    /// <summary>
    /// How G's modulated convolutions run during training (both paths are the same function). Non-fused measured
    /// faster for training on the 2-core CPU (64 px, batch 16, lazy R1: 1.34 against 1.49 s per step with channels
    /// 128…32, 1.74 against 2.81 s with 256 at 4 and 8 px): the grouped per-sample convolution's backward is costly.
    /// </summary>
    public ModulatedConvPath ModulatedConvPath { get; init; } = ModulatedConvPath.NonFused;

    /// <summary>Whether the run regularises D with R1 at all.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool UsesR1 => R1Gamma > 0 && DRegEvery > 0;

    /// <summary>The architecture of G (and G_ema).</summary>
    public StyleGan2Config GeneratorConfig() =>
        new StyleGan2Config(Size, StyleDim, NMlp, Channels) { LrMlp = LrMlp, ModulatedConvPath = ModulatedConvPath, MaxCpuBatch = null };

    /// <summary>Throws <see cref="ArgumentException"/> for settings no run can use.</summary>
    public void Validate()
    {
        if (Size < 4 || Size > WorldSize || (Size & (Size - 1)) != 0)
            throw new ArgumentException($"Size must be a power of two in [4, {WorldSize}], got {Size}");
        if (StyleDim < 1 || NMlp < 1)
            throw new ArgumentException("StyleDim and NMlp must be positive");
        if (Channels is null)
            throw new ArgumentException("Channels is required");
        for (int r = 4; r <= Size; r *= 2)
            if (!Channels.TryGetValue(r, out int c) || c < 1)
                throw new ArgumentException($"Channels has no positive entry for resolution {r}");
        if (Batch < 1 || Batch % Math.Min(Batch, Discriminator.StddevGroup) != 0)
            throw new ArgumentException($"Batch must be positive and a multiple of min(4, Batch) (D's minibatch stddev), got {Batch}");
        if (!(LearningRate > 0) || R1Gamma < 0 || double.IsNaN(R1Gamma) || !(EmaKimg > 0) || !(LrMlp > 0))
            throw new ArgumentException("LearningRate, EmaKimg and LrMlp must be positive, R1Gamma non-negative");
        if (!(Mixing >= 0 && Mixing <= 1))
            throw new ArgumentException($"Mixing must lie in [0, 1], got {Mixing}");
    }

    internal const int WorldSize = 64;
}
