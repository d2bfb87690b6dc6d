using System.Text.Json;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>
/// Recipes that turn a golden io file's inputs into each of its outputs. Which cases exist comes from the tensor
/// names of the file; the parameters (ψ, inject index, edited layers) from its names, metadata and config.
/// </summary>
internal static class GoldenCases
{
    /// <summary>Every case an io file supports: "mapping", "mean_latent", "mixing", "latents:&lt;name&gt;", "styles:&lt;prefix&gt;", "image:&lt;name&gt;".</summary>
    public static IEnumerable<string> For(GoldenModelSet set)
    {
        var io = StyleGanGolden.Io(set);
        var keys = io.Keys.ToHashSet();
        if (keys.Contains("z") && keys.Contains("w"))
            yield return "mapping";
        if (keys.Contains("mean_latent_z") && keys.Contains("mean_latent"))
            yield return "mean_latent";
        if (keys.Contains("wplus_mix"))
            yield return "mixing";
        foreach (string key in keys.Where(k => k.StartsWith("ws_psi", StringComparison.Ordinal) && !k.EndsWith("_f64", StringComparison.Ordinal)).Order())
            yield return "latents:" + key;
        foreach (string prefix in keys.Where(k => k.StartsWith("s_", StringComparison.Ordinal) && k.Contains('.'))
                     .Select(k => k[..k.IndexOf('.')]).Where(p => !p.EndsWith("_f64", StringComparison.Ordinal)).Distinct().Order())
            yield return "styles:" + prefix;
        foreach (string key in keys.Where(k => k.StartsWith("img_", StringComparison.Ordinal) && !k.EndsWith("_f64", StringComparison.Ordinal)).Order())
            yield return "image:" + key;
    }

    /// <summary>Metadata of the io file, or a value of the set's config.json.</summary>
    public static int InjectIndex(GoldenModelSet set)
    {
        var io = StyleGanGolden.Io(set);
        if (io.Metadata.TryGetValue("inject_index", out string? text))
            return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return StyleGanGolden.Config(set).GetProperty("style_mixing_inject_index").GetInt32();
    }

    /// <summary>The model input (W+ or a style list) for an image case, computed in <paramref name="dtype"/>.</summary>
    public static Tensor ImageLatent(GoldenModelSet set, Generator g, string image, ScalarType dtype)
    {
        var io = StyleGanGolden.Io(set);
        Tensor Input(string name) => io[name].to(dtype);
        Tensor Reference(string name) => io.TryGetValue(name + "_f64", out var f64) && dtype == ScalarType.Float64 ? f64.alias() : Input(name);

        double? psi = StyleGanGolden.PsiFromName(image);
        if (image == "img_w")
            return g.Broadcast(g.Map(Input("z")));
        if (image.StartsWith("img_trunc", StringComparison.Ordinal))
            return g.Truncate(g.Broadcast(g.Map(Input("z"))), psi!.Value, Reference("mean_latent"));
        if (image.StartsWith("img_psi", StringComparison.Ordinal))
            return g.Truncate(g.Broadcast(g.Map(Input("z"))), psi!.Value);
        // The float64 references of the mixed and S-edited images start from the stored float32 w / W+ (upcast), not
        // from a float64 mapping; the float32 run goes through the mapping, which matches bit for bit.
        if (image == "img_wplus_mix" && dtype == ScalarType.Float64)
            return Input("wplus_mix");
        if (image == "img_wplus_mix")
            return g.MixStyles(g.Map(Input("z")), g.Map(Input("z2")), InjectIndex(set));
        if (image == "img_wplus_rand")
            return Input("wplus_rand");
        throw new InvalidOperationException($"no recipe for golden image '{image}' of {set.Id}: add one");
    }

    /// <summary>The S list for img_s_edit: the styles of w with every ds.&lt;layer&gt; of the file added.</summary>
    public static Tensor[] EditedStyles(GoldenModelSet set, Generator g, ScalarType dtype)
    {
        var io = StyleGanGolden.Io(set);
        // The float64 reference upcasts the edited float32 S vectors (s_w + ΔS formed in float32); the float32 run
        // recomputes s_w from z.
        var styles = dtype == ScalarType.Float64
            ? g.StyleSpace.Layers.Select(l => io["s_w." + l.Name].alias()).ToArray()
            : g.Styles(g.Map(io["z"].to(dtype)));
        int edited = 0;
        foreach (var (name, delta) in io.Where(kv => kv.Key.StartsWith("ds.", StringComparison.Ordinal)))
        {
            var layer = g.StyleSpace[name["ds.".Length..]];
            styles[layer.Index] = styles[layer.Index].add(delta);
            edited++;
        }

        styles = styles.Select(s => s.to(dtype)).ToArray();

        var declared = JsonSerializer.Deserialize<string[]>(io.Metadata["delta_s_layers"])!;
        Assert.Equal(declared.Length, edited);
        return styles;
    }

    public static Tensor Image(GoldenModelSet set, Generator g, string image, ScalarType dtype)
    {
        if (image == "img_s_edit")
            return g.SynthesizeFromStyles(EditedStyles(set, g, dtype));
        return g.Synthesize(ImageLatent(set, g, image, dtype));
    }

    /// <summary>The stored W+ (or w) input that S vectors with this prefix were computed from (upcast for float64, as the references were).</summary>
    public static Tensor StyleSource(GoldenModelSet set, string prefix, ScalarType dtype)
    {
        var io = StyleGanGolden.Io(set);
        string source = prefix["s_".Length..];
        return io.TryGetValue(source, out var t) ? t.to(dtype)
            : throw new InvalidOperationException($"{set.Id}: no input '{source}' for the S vectors '{prefix}.*'");
    }
}
