using StyleBridge.Models.Clip;

namespace StyleBridge.Engine.Training;

/// <summary>
/// The Shapes world's CLIP: our <see cref="ClipModel"/> at 64 px (patch 8: 64 patches), 4 layers of width 128 in each
/// tower (2 heads), embedding 128, the full OpenAI vocabulary and 77-token context so the FFHQ text path is the one
/// trained. Images enter in the generator's range [-1, 1] and are normalised as CLIP normalises [0, 1] images.
/// </summary>
public static class ShapesClip
{
    public const int Resolution = 64;

    public static ClipConfig Config { get; } = new(
        EmbedDim: 128, ImageResolution: Resolution, VisionLayers: 4, VisionWidth: 128, VisionPatchSize: 8,
        ContextLength: ClipTokenizerContext, VocabSize: 49408, TransformerWidth: 128, TransformerHeads: 2, TransformerLayers: 4);

    /// <summary>[-1, 1] images at 64 px → CLIP's normalised input (no resize at 64 px).</summary>
    public static ClipImageTransform Transform { get; } = new(Resolution, ClipResizeMode.Area, ClipInputNormalization.MeanStd);

    private const int ClipTokenizerContext = ClipTokenizer.ContextLength;
}
