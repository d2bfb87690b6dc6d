using StyleBridge.Engine.World;
using StyleBridge.Models.Clip;

namespace StyleBridge.Engine.Training;

/// <summary>The Shapes CLIP's measurements: zero-shot attribute accuracy and image→caption retrieval.</summary>
public static class ClipEvaluation
{
    /// <summary>
    /// Per attribute, the fraction of images whose best-scoring prompt among that attribute's values
    /// (<see cref="CaptionGrammar.ZeroShotPrompts"/>) names their value.
    /// </summary>
    public static IReadOnlyList<(WorldAttribute Attribute, double Accuracy)> ZeroShot(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<ShapeScene> scenes)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var images = ImageFeatures(model, scenes);
        var result = new List<(WorldAttribute, double)>();
        foreach (var attribute in ShapeAttributes.Attributes)
        {
            var prompts = CaptionGrammar.ZeroShotPrompts(attribute);
            var text = ClipModel.Normalize(model.EncodeText(ClipTokenIds.FromTexts(tokenizer, prompts), trimPadding: true));
            var chosen = images.matmul(text.t()).argmax(1).data<long>().ToArray();
            int right = Enumerable.Range(0, scenes.Count).Count(i => chosen[i] == scenes[i].Attributes.ValueOf(attribute));
            result.Add((attribute, right / (double)scenes.Count));
        }
        return result;
    }

    /// <summary>
    /// Image→caption R@1 over full five-attribute captions of the same scenes: the retrieved caption must describe the
    /// image (a different scene with the same attributes counts as right).
    /// </summary>
    public static double RetrievalAt1(ClipModel model, ClipTokenizer tokenizer, IReadOnlyList<ShapeScene> scenes)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var captions = scenes.Select(s => CaptionGrammar.Canonical(NamedAttributes.All(s.Attributes))).ToList();
        var images = ImageFeatures(model, scenes);
        var text = ClipModel.Normalize(model.EncodeText(ClipTokenIds.FromTexts(tokenizer, captions.Select(c => c.Text).ToList()), trimPadding: true));
        var chosen = images.matmul(text.t()).argmax(1).data<long>().ToArray();
        return Enumerable.Range(0, scenes.Count).Count(i => captions[(int)chosen[i]].Named.Matches(scenes[i].Attributes)) / (double)scenes.Count;
    }

    private static Tensor ImageFeatures(ClipModel model, IReadOnlyList<ShapeScene> scenes)
    {
        // the Shapes CLIP's preprocessing at the model's own input size (a set's CLIP need not be the Shapes size)
        var transform = ShapesClip.Transform with { Resolution = model.Config.ImageResolution };
        var parts = new List<Tensor>();
        for (int start = 0; start < scenes.Count; start += 256)
        {
            var batch = scenes.Skip(start).Take(256).ToList();
            parts.Add(ClipModel.Normalize(model.EncodeImage(transform.Apply(ShapeSampler.Render(batch)))));
        }
        return cat(parts, 0);
    }
}
