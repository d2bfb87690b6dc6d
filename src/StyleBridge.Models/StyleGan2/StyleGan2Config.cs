using System.Globalization;
using System.Text.RegularExpressions;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>Where the demodulation ε sits (section D of the golden README); the two differ by ~1e-9 relative.</summary>
public enum DemodulationEpsilon
{
    /// <summary>rosinality: <c>rsqrt(Σ(W/√fan_in · s)² + 1e-8)</c>.</summary>
    Rosinality,

    /// <summary>NVIDIA: <c>rsqrt(Σ(W · s)² + 1e-8)</c>, i.e. ε fan_in× larger in rosinality's units.</summary>
    Nvidia,
}

/// <summary>How a modulated convolution applies per-sample styles.</summary>
public enum ModulatedConvPath
{
    /// <summary>The measured-faster path: fused, on the CPU too (1.22 s against 1.69 s per image for a batch of 4 at 1024²).</summary>
    Auto,

    /// <summary>Per-sample modulated weights, one grouped convolution with groups = N (rosinality's default).</summary>
    Fused,

    /// <summary>x·s, one shared convolution over the batch, then ·demod (rosinality's <c>fused=False</c>).</summary>
    NonFused,
}

/// <summary>
/// The generator's architecture (rosinality's <c>Generator(size, style_dim, n_mlp, ...)</c> with an explicit channel
/// table, since patched tables exist) and the run-time options in which the two reference implementations differ.
/// </summary>
public sealed partial record StyleGan2Config
{
    public StyleGan2Config(int size, int styleDim, int nMlp, IReadOnlyDictionary<int, int> channels, int? zDim = null)
    {
        if (size < 4 || (size & (size - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "the resolution must be a power of two, at least 4");
        if (styleDim < 1 || nMlp < 1)
            throw new ArgumentOutOfRangeException(nameof(styleDim), "style_dim and n_mlp must be positive");
        Size = size;
        StyleDim = styleDim;
        ZDim = zDim ?? styleDim;
        NMlp = nMlp;
        var table = new SortedDictionary<int, int>();
        for (int r = 4; r <= size; r *= 2)
        {
            if (!channels.TryGetValue(r, out int c) || c < 1)
                throw new ArgumentException($"the channel table has no positive entry for resolution {r}", nameof(channels));
            table[r] = c;
        }

        Channels = table;
    }

    /// <summary>Output resolution (square).</summary>
    public int Size { get; }

    /// <summary>Width of w (rosinality style_dim, NVIDIA w_dim).</summary>
    public int StyleDim { get; }

    /// <summary>Width of z (rosinality: = style_dim; NVIDIA z_dim).</summary>
    public int ZDim { get; }

    /// <summary>Mapping depth (n_mlp / mapping num_layers).</summary>
    public int NMlp
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NMlp), value, "n_mlp must be positive");
    }

    /// <summary>Feature maps per resolution, 4 … Size.</summary>
    public IReadOnlyDictionary<int, int> Channels { get; }

    /// <summary>Learning-rate multiplier of the mapping layers (both references: 0.01); not visible in shapes.</summary>
    public double LrMlp { get; init; } = 0.01;

    public IReadOnlyList<int> BlurKernel { get; init; } = [1, 3, 3, 1];

    /// <summary>NVIDIA clamps every conv and ToRGB output to ±conv_clamp (256 in config-f); null: no clamp (rosinality).</summary>
    public double? ConvClamp { get; init; }

    public DemodulationEpsilon DemodulationEpsilon { get; init; } = DemodulationEpsilon.Rosinality;

    /// <summary>Number of top resolutions run in float16 on CUDA (NVIDIA num_fp16_res); 0: float32 everywhere.</summary>
    public int NumFp16Res { get; init; }

    /// <summary>Truncate only W+ rows [0, cutoff) (NVIDIA truncation_cutoff); null: every row.</summary>
    public int? TruncationCutoff { get; init; }

    public ModulatedConvPath ModulatedConvPath { get; init; } = ModulatedConvPath.Auto;

    /// <summary>
    /// Largest batch one synthesis pass runs on the CPU; bigger batches go through in slices of this size, which bounds
    /// the activation memory (a 1024² pass holds about 0.4 GB per sample). A whole batch of 4 measured 1.22 s per image
    /// at 1024², one sample per pass 1.40 s; null: the whole batch at once. CUDA always takes the whole batch. Kept at 4
    /// for small generators too: one 64² pass of 64 samples was faster alone (make bench) but slower in the service
    /// under load (make load: 4.9 against 6.5 requests/s at concurrency 16 on 2 cores).
    /// </summary>
    public int? MaxCpuBatch { get; init; } = 4;

    public int LogSize => int.Log2(Size);

    /// <summary>Rows of W+ (NVIDIA num_ws): 2·log2(size) − 2.</summary>
    public int NLatent => 2 * LogSize - 2;

    /// <summary>Constant noise buffers (noises.noise_i): one per styled conv, 2·log2(size) − 3.</summary>
    public int NumNoises => NLatent - 1;

    /// <summary>4, 8, …, Size.</summary>
    public IEnumerable<int> Resolutions
    {
        get
        {
            for (int r = 4; r <= Size; r *= 2)
                yield return r;
        }
    }

    /// <summary>Lowest resolution run in float16: NVIDIA's <c>max(2^(log2(size) + 1 − num_fp16_res), 8)</c>.</summary>
    public int Fp16Resolution => NumFp16Res <= 0 ? int.MaxValue : Math.Max(1 << Math.Max(LogSize + 1 - NumFp16Res, 0), 8);

    public bool UsesFp16(int resolution) => resolution >= Fp16Resolution;

    /// <summary>rosinality's table: 512 up to 32, then 256·cm, 128·cm, 64·cm, 32·cm, 16·cm for 64 … 1024 (and halving on).</summary>
    public static IReadOnlyDictionary<int, int> RosinalityChannels(int size, int channelMultiplier = 2)
    {
        var table = new Dictionary<int, int>();
        for (int r = 4; r <= size; r *= 2)
            table[r] = r <= 32 ? 512 : Math.Max(16384 * channelMultiplier / r, 1);
        return table;
    }

    /// <summary>FFHQ config-f: <c>Generator(size, 512, 8, channel_multiplier=2)</c>.</summary>
    public static StyleGan2Config ConfigF(int size = 1024, int styleDim = 512, int nMlp = 8, int channelMultiplier = 2) =>
        new(size, styleDim, nMlp, RosinalityChannels(size, channelMultiplier));

    /// <summary>
    /// The architecture read off a rosinality-named state dict, as CLIP's <c>build_model</c> does: the number of
    /// ToRGB blocks gives the resolution, the conv weights the channel table, the mapping weights style_dim, z_dim and
    /// the depth. Run-time options keep their defaults.
    /// </summary>
    public static StyleGan2Config FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        int nMlp = 0;
        while (stateDict.ContainsKey($"style.{nMlp + 1}.weight"))
            nMlp++;
        if (nMlp == 0)
            throw new ArgumentException("not a rosinality StyleGAN2 generator state dict: no style.1.weight" + Keys(stateDict));
        var first = Shape(stateDict, "style.1.weight");
        var last = Shape(stateDict, $"style.{nMlp}.weight");
        int styleDim = (int)last[0];

        int blocks = stateDict.Keys.Select(k => ToRgbsIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        int size = 4 << blocks;

        var channels = new Dictionary<int, int> { [4] = (int)Shape(stateDict, "input.input")[1] };
        for (int k = 0; k < blocks; k++)
            channels[8 << k] = (int)Shape(stateDict, $"convs.{2 * k}.conv.weight")[1];

        var config = new StyleGan2Config(size, styleDim, nMlp, channels, (int)first[1]);
        if (!stateDict.ContainsKey($"noises.noise_{config.NumNoises - 1}") || stateDict.ContainsKey($"noises.noise_{config.NumNoises}"))
            throw new ArgumentException($"a {size}x{size} generator has {config.NumNoises} noise buffers; the state dict disagrees");
        return config;
    }

    private static long[] Shape(IReadOnlyDictionary<string, Tensor> stateDict, string name) =>
        stateDict.TryGetValue(name, out var t) ? t.shape
            : throw new ArgumentException($"the state dict has no '{name}'" + Keys(stateDict));

    private static string Keys(IReadOnlyDictionary<string, Tensor> stateDict) =>
        $" (keys: {string.Join(", ", stateDict.Keys.Take(8))}{(stateDict.Count > 8 ? ", …" : "")})";

    [GeneratedRegex(@"^to_rgbs\.(\d+)\.")]
    private static partial Regex ToRgbsIndex();
}
