using System.Globalization;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

public enum StyleLayerKind
{
    /// <summary>A 3×3 styled conv at its block's resolution (rosinality conv1 / convs.2k+1, NVIDIA conv1).</summary>
    Conv,

    /// <summary>The upsampling 3×3 styled conv that opens a block (rosinality convs.2k, NVIDIA conv0).</summary>
    ConvUp,

    /// <summary>A ToRGB layer (no demodulation).</summary>
    ToRgb,
}

/// <summary>
/// One S-space layer: a modulated conv or ToRGB, whose style vector is its modulation (affine) output
/// <c>s = A·w[WIndex]/√w_dim + b</c> with <see cref="Channels"/> = the conv's input channels.
/// </summary>
/// <param name="Index">Position in forward order (StyleSpace's 26-index for 1024).</param>
/// <param name="Name">rosinality module name (<c>conv1</c>, <c>to_rgb1</c>, <c>convs.i</c>, <c>to_rgbs.i</c>).</param>
/// <param name="NvidiaName">NVIDIA layer (<c>synthesis.b4.conv1</c>, <c>synthesis.bR.conv0</c>, …).</param>
/// <param name="StyleClipName">StyleCLIP global_torch name (<c>conv1_resolution_4</c>, <c>toRGB_resolution_R</c>, …).</param>
/// <param name="OffsetWithoutToRgb">Offset in the conv-only concatenation (DeltaEdit's 6048 layout); null for ToRGB.</param>
public sealed record StyleLayer(int Index, string Name, string NvidiaName, string StyleClipName, StyleLayerKind Kind, int Resolution,
    int WIndex, int Channels, int OutChannels, int OffsetWithToRgb, int? OffsetWithoutToRgb)
{
    public bool IsToRgb => Kind == StyleLayerKind.ToRgb;

    /// <summary>The module that computes this style, rosinality naming (<c>conv1.conv.modulation</c>).</summary>
    public string ModulationModule => Name + ".conv.modulation";

    /// <summary>The same, NVIDIA naming (<c>synthesis.b4.conv1.affine</c>).</summary>
    public string NvidiaAffineModule => NvidiaName + ".affine";
}

/// <summary>
/// The S-space bookkeeping of a generator: every modulated layer in forward order (conv1, to_rgb1, then per
/// resolution R = 8 … size: convs.2k, convs.2k+1, to_rgbs.k), with its W+ row, channels and offsets in the
/// concatenated style vector with and without the ToRGB layers.
/// </summary>
public sealed class StyleSpace
{
    private readonly Dictionary<string, StyleLayer> byName = new(StringComparer.Ordinal);

    public StyleSpace(StyleGan2Config config)
    {
        var layers = new List<StyleLayer>();
        int with = 0, without = 0;

        void Add(string name, string nvidia, string styleClip, StyleLayerKind kind, int resolution, int wIndex, int channels, int outChannels)
        {
            bool toRgb = kind == StyleLayerKind.ToRgb;
            layers.Add(new StyleLayer(layers.Count, name, nvidia, styleClip, kind, resolution, wIndex, channels, outChannels, with, toRgb ? null : without));
            with += channels;
            if (!toRgb)
                without += channels;
        }

        int c4 = config.Channels[4];
        Add("conv1", "synthesis.b4.conv1", "conv1_resolution_4", StyleLayerKind.Conv, 4, 0, c4, c4);
        Add("to_rgb1", "synthesis.b4.torgb", "toRGB_resolution_4", StyleLayerKind.ToRgb, 4, 1, c4, 3);
        int inChannels = c4;
        for (int k = 0; (8 << k) <= config.Size; k++)
        {
            int r = 8 << k, c = config.Channels[r];
            string res = r.ToString(CultureInfo.InvariantCulture);
            Add(Invariant($"convs.{2 * k}"), $"synthesis.b{res}.conv0", $"conv0_resolution_{res}", StyleLayerKind.ConvUp, r, 2 * k + 1, inChannels, c);
            Add(Invariant($"convs.{2 * k + 1}"), $"synthesis.b{res}.conv1", $"conv1_resolution_{res}", StyleLayerKind.Conv, r, 2 * k + 2, c, c);
            Add(Invariant($"to_rgbs.{k}"), $"synthesis.b{res}.torgb", $"toRGB_resolution_{res}", StyleLayerKind.ToRgb, r, 2 * k + 3, c, 3);
            inChannels = c;
        }

        Layers = layers;
        ConvLayers = layers.Where(l => !l.IsToRgb).ToList();
        TotalDim = with;
        TotalDimWithoutToRgb = without;
        foreach (var layer in layers)
        {
            byName[layer.Name] = layer;
            byName[layer.NvidiaName] = layer;
            byName[layer.StyleClipName] = layer;
        }
    }

    /// <summary>All layers, forward order.</summary>
    public IReadOnlyList<StyleLayer> Layers { get; }

    /// <summary>The modulated convs only (DeltaEdit's 17 for 1024).</summary>
    public IReadOnlyList<StyleLayer> ConvLayers { get; }

    public int Count => Layers.Count;

    /// <summary>Length of the concatenated S vector with the ToRGB layers (9088 for 1024).</summary>
    public int TotalDim { get; }

    /// <summary>Length without the ToRGB layers (6048 for 1024).</summary>
    public int TotalDimWithoutToRgb { get; }

    /// <summary>A layer by rosinality, NVIDIA or StyleCLIP name.</summary>
    public StyleLayer this[string name] => byName.TryGetValue(name, out var layer) ? layer
        : throw new KeyNotFoundException($"no S-space layer '{name}' (layers: {string.Join(", ", Layers.Select(l => l.Name))})");

    public bool TryGetLayer(string name, out StyleLayer? layer) => byName.TryGetValue(name, out layer);

    public IReadOnlyList<StyleLayer> Select(bool includeToRgb) => includeToRgb ? Layers : ConvLayers;

    /// <summary>
    /// Concatenates per-layer styles [N, C_k] (all layers, forward order) into [N, TotalDim] or, without ToRGB,
    /// [N, TotalDimWithoutToRgb].
    /// </summary>
    public Tensor Concat(IReadOnlyList<Tensor> styles, bool includeToRgb = true)
    {
        CheckStyles(styles);
        return cat(Layers.Where(l => includeToRgb || !l.IsToRgb).Select(l => styles[l.Index]).ToArray(), 1);
    }

    /// <summary>Cuts a flat [N, D] vector back into one [N, C_k] tensor per selected layer (views; the caller owns them).</summary>
    public Tensor[] Split(Tensor flat, bool includeToRgb = true)
    {
        var layers = Select(includeToRgb);
        long expected = includeToRgb ? TotalDim : TotalDimWithoutToRgb;
        if (flat.dim() != 2 || flat.size(1) != expected)
            throw new ArgumentException($"expected a flat S vector [N, {expected}], got [{string.Join(", ", flat.shape)}]", nameof(flat));
        return flat.split(layers.Select(l => (long)l.Channels).ToArray(), 1);
    }

    /// <summary>Checks a full per-layer style list: one [N, C_k] tensor per layer, one batch size.</summary>
    public void CheckStyles(IReadOnlyList<Tensor> styles)
    {
        if (styles.Count != Layers.Count)
            throw new ArgumentException($"expected {Layers.Count} style tensors (one per S layer), got {styles.Count}", nameof(styles));
        long n = styles[0].size(0);
        foreach (var layer in Layers)
        {
            var s = styles[layer.Index];
            if (s.dim() != 2 || s.size(0) != n || s.size(1) != layer.Channels)
                throw new ArgumentException($"style {layer.Index} ({layer.Name}) must be [{n}, {layer.Channels}], got [{string.Join(", ", s.shape)}]", nameof(styles));
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
