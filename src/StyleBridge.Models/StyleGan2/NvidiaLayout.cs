using System.Globalization;
using System.Text.RegularExpressions;
using StyleBridge.Torch;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.StyleGan2;

/// <summary>How one tensor moves between the layouts (golden README, section D).</summary>
public enum LayoutOp
{
    /// <summary>Same shape, same values.</summary>
    Copy,

    /// <summary>Same row-major data, another shape (leading or trailing singleton dims).</summary>
    Reshape,

    /// <summary>rosinality = 4 × NVIDIA: rosinality bakes the up² gain into its FIR kernel buffers.</summary>
    Times4,

    /// <summary>NVIDIA-only constant filter, unused by the forward pass: outer([1,3,3,1])/64.</summary>
    NvidiaOnlyFilter,
}

/// <summary>One row of the name map. <see cref="Rosinality"/> is null for NVIDIA-only filters.</summary>
public sealed record LayoutRow(string? Rosinality, long[]? RosinalityShape, string Nvidia, long[] NvidiaShape, LayoutOp Op);

/// <summary>
/// The rosinality ↔ NVIDIA (stylegan2-ada / stylegan3 networks_stylegan2) name map, derived by rule for any
/// resolution, and the state-dict conversions in both directions. No value transform besides the ×4 of the FIR
/// kernels: both layouts store raw weights and apply the equalised-lr factors at run time.
/// </summary>
public static partial class NvidiaLayout
{
    /// <summary>The key that marks an NVIDIA-named state dict.</summary>
    public static bool IsNvidia(IEnumerable<string> names) =>
        names.Any(n => n.StartsWith("synthesis.", StringComparison.Ordinal) || n.StartsWith("mapping.", StringComparison.Ordinal));

    /// <summary>Every tensor of both layouts for a config, in NVIDIA's state_dict order (synthesis, then mapping).</summary>
    public static IReadOnlyList<LayoutRow> Rows(StyleGan2Config config)
    {
        var rows = new List<LayoutRow>();
        int w = config.StyleDim;
        long[] filter = [config.BlurKernel.Count, config.BlurKernel.Count];

        void Layer(string nv, string ros, int inCh, int outCh, int k, int? noiseIndex, int res, bool up)
        {
            if (k == 3)
            {
                rows.Add(new(ros + ".conv.weight", [1, outCh, inCh, 3, 3], nv + ".weight", [outCh, inCh, 3, 3], LayoutOp.Reshape));
                rows.Add(new(ros + ".noise.weight", [1], nv + ".noise_strength", [], LayoutOp.Reshape));
                rows.Add(new(ros + ".activate.bias", [outCh], nv + ".bias", [outCh], LayoutOp.Copy));
                rows.Add(up
                    ? new(ros + ".conv.blur.kernel", filter, nv + ".resample_filter", filter, LayoutOp.Times4)
                    : new(null, null, nv + ".resample_filter", filter, LayoutOp.NvidiaOnlyFilter));
                rows.Add(new(Invariant($"noises.noise_{noiseIndex}"), [1, 1, res, res], nv + ".noise_const", [res, res], LayoutOp.Reshape));
            }
            else
            {
                rows.Add(new(ros + ".conv.weight", [1, 3, inCh, 1, 1], nv + ".weight", [3, inCh, 1, 1], LayoutOp.Reshape));
                rows.Add(new(ros + ".bias", [1, 3, 1, 1], nv + ".bias", [3], LayoutOp.Reshape));
            }

            rows.Add(new(ros + ".conv.modulation.weight", [inCh, w], nv + ".affine.weight", [inCh, w], LayoutOp.Copy));
            rows.Add(new(ros + ".conv.modulation.bias", [inCh], nv + ".affine.bias", [inCh], LayoutOp.Copy));
        }

        int c4 = config.Channels[4];
        rows.Add(new("input.input", [1, c4, 4, 4], "synthesis.b4.const", [c4, 4, 4], LayoutOp.Reshape));
        rows.Add(new(null, null, "synthesis.b4.resample_filter", filter, LayoutOp.NvidiaOnlyFilter));
        Layer("synthesis.b4.conv1", "conv1", c4, c4, 3, 0, 4, up: false);
        Layer("synthesis.b4.torgb", "to_rgb1", c4, 3, 1, null, 4, up: false);
        int inCh = c4;
        for (int k = 0; (8 << k) <= config.Size; k++)
        {
            int r = 8 << k, c = config.Channels[r];
            string b = Invariant($"synthesis.b{r}");
            rows.Add(new(Invariant($"to_rgbs.{k}.upsample.kernel"), filter, b + ".resample_filter", filter, LayoutOp.Times4));
            Layer(b + ".conv0", Invariant($"convs.{2 * k}"), inCh, c, 3, 2 * k + 1, r, up: true);
            Layer(b + ".conv1", Invariant($"convs.{2 * k + 1}"), c, c, 3, 2 * k + 2, r, up: false);
            Layer(b + ".torgb", Invariant($"to_rgbs.{k}"), c, 3, 1, null, r, up: false);
            inCh = c;
        }

        rows.Add(new("latent_avg", [w], "mapping.w_avg", [w], LayoutOp.Copy));
        for (int i = 0; i < config.NMlp; i++)
        {
            int inDim = i == 0 ? config.ZDim : w;
            rows.Add(new(Invariant($"style.{i + 1}.weight"), [w, inDim], Invariant($"mapping.fc{i}.weight"), [w, inDim], LayoutOp.Copy));
            rows.Add(new(Invariant($"style.{i + 1}.bias"), [w], Invariant($"mapping.fc{i}.bias"), [w], LayoutOp.Copy));
        }

        return rows;
    }

    /// <summary>
    /// The rosinality name and op for an NVIDIA tensor name, by rule (no config needed); null name for NVIDIA-only
    /// filters. Unknown names throw.
    /// </summary>
    public static (string? Rosinality, LayoutOp Op) ToRosinalityName(string nvidia)
    {
        if (nvidia == "mapping.w_avg")
            return ("latent_avg", LayoutOp.Copy);
        var m = MappingName().Match(nvidia);
        if (m.Success)
            return (Invariant($"style.{int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1}.{m.Groups[2].Value}"), LayoutOp.Copy);
        if (nvidia == "synthesis.b4.const")
            return ("input.input", LayoutOp.Reshape);
        if (nvidia == "synthesis.b4.resample_filter")
            return (null, LayoutOp.NvidiaOnlyFilter);

        m = BlockName().Match(nvidia);
        if (!m.Success)
            throw new ArgumentException($"'{nvidia}' is not a tensor of an NVIDIA StyleGAN2 generator (conditional or non-'skip' models are not supported)");
        int r = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        string layer = m.Groups[2].Value, rest = m.Groups[3].Value;
        int k = int.Log2(r) - 3;
        if (r == 4 && layer == "conv0" || r != 4 && r < 8 || (r & (r - 1)) != 0)
            throw new ArgumentException($"'{nvidia}' names a block that a StyleGAN2 generator does not have");
        if (layer == "")
        {
            if (rest != "resample_filter")
                throw new ArgumentException($"unknown NVIDIA tensor '{nvidia}'");
            return r == 4 ? (null, LayoutOp.NvidiaOnlyFilter) : (Invariant($"to_rgbs.{k}.upsample.kernel"), LayoutOp.Times4);
        }

        string ros = (r, layer) switch
        {
            (4, "conv1") => "conv1",
            (4, "torgb") => "to_rgb1",
            (_, "conv0") => Invariant($"convs.{2 * k}"),
            (_, "conv1") => Invariant($"convs.{2 * k + 1}"),
            _ => Invariant($"to_rgbs.{k}"),
        };
        int noise = r == 4 ? 0 : layer == "conv0" ? 2 * k + 1 : 2 * k + 2;
        return (layer, rest) switch
        {
            ("torgb", "weight") => (ros + ".conv.weight", LayoutOp.Reshape),
            ("torgb", "bias") => (ros + ".bias", LayoutOp.Reshape),
            (_, "weight") => (ros + ".conv.weight", LayoutOp.Reshape),
            (_, "noise_strength") => (ros + ".noise.weight", LayoutOp.Reshape),
            (_, "bias") => (ros + ".activate.bias", LayoutOp.Copy),
            (_, "noise_const") => (Invariant($"noises.noise_{noise}"), LayoutOp.Reshape),
            ("conv0", "resample_filter") => (ros + ".conv.blur.kernel", LayoutOp.Times4),
            (_, "resample_filter") => (null, LayoutOp.NvidiaOnlyFilter),
            (_, "affine.weight") => (ros + ".conv.modulation.weight", LayoutOp.Copy),
            (_, "affine.bias") => (ros + ".conv.modulation.bias", LayoutOp.Copy),
            _ => throw new ArgumentException($"unknown NVIDIA tensor '{nvidia}'"),
        };
    }

    /// <summary>
    /// An NVIDIA-named state dict as rosinality names (with <c>latent_avg</c> from <c>mapping.w_avg</c>). The
    /// NVIDIA-only filters are dropped. The result owns new tensor handles (views where only the shape changes).
    /// </summary>
    public static StateDict ToRosinality(IReadOnlyDictionary<string, Tensor> nvidia)
    {
        var result = new StateDict();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var (name, tensor) in nvidia)
            {
                var (ros, op) = ToRosinalityName(name);
                if (ros is null)
                    continue;
                var value = op switch
                {
                    LayoutOp.Copy => tensor.alias(),
                    LayoutOp.Reshape => tensor.reshape(RosinalityShape(ros, tensor)),
                    _ => tensor.mul(4),
                };
                result.Add(ros, value.DetachFromDisposeScope());
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A rosinality state dict (plus the average latent, which rosinality checkpoints keep beside <c>g_ema</c>) as
    /// NVIDIA names in NVIDIA's state_dict order, NVIDIA-only filters included.
    /// </summary>
    public static StateDict FromRosinality(IEnumerable<KeyValuePair<string, Tensor>> stateDict, Tensor latentAvg, StyleGan2Config? config = null)
    {
        var rosinality = stateDict as IReadOnlyDictionary<string, Tensor> ?? stateDict.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        config ??= StyleGan2Config.FromStateDict(rosinality);
        var result = new StateDict();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var row in Rows(config))
            {
                Tensor value;
                if (row.Op == LayoutOp.NvidiaOnlyFilter)
                {
                    value = FirKernel.Make(config.BlurKernel);
                }
                else
                {
                    var source = row.Rosinality == "latent_avg" ? latentAvg.reshape(-1)
                        : rosinality.TryGetValue(row.Rosinality!, out var t) ? t
                        : throw new ArgumentException($"the rosinality state dict has no '{row.Rosinality}' (needed for '{row.Nvidia}')");
                    value = row.Op switch
                    {
                        LayoutOp.Copy => source.alias(),
                        LayoutOp.Reshape => source.reshape(row.NvidiaShape),
                        _ => source.div(4),
                    };
                }

                if (!value.shape.AsSpan().SequenceEqual(row.NvidiaShape))
                    throw new ArgumentException($"'{row.Nvidia}' would be [{string.Join(", ", value.shape)}], expected [{string.Join(", ", row.NvidiaShape)}]");
                result.Add(row.Nvidia, value.DetachFromDisposeScope());
            }

            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static long[] RosinalityShape(string rosinality, Tensor nvidia)
    {
        var s = nvidia.shape;
        if (rosinality == "input.input" || rosinality.EndsWith(".conv.weight", StringComparison.Ordinal))
            return [1, .. s];
        if (rosinality.EndsWith(".noise.weight", StringComparison.Ordinal))
            return [1];
        if (rosinality.StartsWith("noises.", StringComparison.Ordinal))
            return [1, 1, .. s];
        return [1, s[0], 1, 1]; // ToRGB bias
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^mapping\.fc(\d+)\.(weight|bias)$")]
    private static partial Regex MappingName();

    [GeneratedRegex(@"^synthesis\.b(\d+)\.(?:(conv0|conv1|torgb)\.)?(.+)$")]
    private static partial Regex BlockName();
}
