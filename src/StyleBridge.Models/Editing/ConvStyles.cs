using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Models.Editing;

/// <summary>
/// The flat conv-only S of DeltaEdit and StyleCLIP's <c>fs3</c> rows (conv layers in forward order, ToRGB left out)
/// and the "S path" that renders it: conv layers with the given styles, ToRGB layers with the styles of the W+,
/// fixed noise (DeltaEdit's <c>decoder_validate</c>).
/// </summary>
public static class ConvStyles
{
    /// <summary>Flat conv S [B, Σ conv channels] of a W+ [B, L, W] (or a w [B, W]).</summary>
    public static Tensor Of(Generator generator, Tensor ws)
    {
        using var scope = NewDisposeScope();
        return generator.StyleSpace.Concat(generator.Styles(ws), includeToRgb: false).MoveToOuterDisposeScope();
    }

    /// <summary>Every layer's style for a flat conv S, the ToRGB layers taken from <paramref name="ws"/>.</summary>
    public static Tensor[] WithToRgbFrom(Generator generator, Tensor flat, Tensor ws)
    {
        var space = generator.StyleSpace;
        using var scope = NewDisposeScope();
        var styles = generator.Styles(ws);
        var conv = space.Split(flat, includeToRgb: false);
        for (int i = 0; i < space.ConvLayers.Count; i++)
            styles[space.ConvLayers[i].Index] = conv[i];
        foreach (var s in styles)
            s.MoveToOuterDisposeScope();
        return styles;
    }

    /// <summary>Renders a flat conv S with the ToRGB styles of <paramref name="ws"/> and the fixed noise buffers.</summary>
    public static Tensor Render(Generator generator, Tensor flat, Tensor ws, SynthesisOptions? options = null)
    {
        using var scope = NewDisposeScope();
        return generator.SynthesizeFromStyles(WithToRgbFrom(generator, flat, ws), options ?? SynthesisOptions.Default).MoveToOuterDisposeScope();
    }
}
