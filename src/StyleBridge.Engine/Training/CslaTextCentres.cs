using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;

namespace StyleBridge.Engine.Training;

/// <summary>
/// A calibrated text centre for CSLA's text to image (csla.md §3.4): instead of one neutral prompt, the mean of the
/// prepared embeddings of the prompts a set is written in, the text counterpart of the image centre c_mean. A text
/// residual from it has the size of the image residuals the mappers learnt; the Shapes CLIP's one neutral prompt ("a
/// shape") lies far from every caption (cosine below zero), so residuals from it are twice that size.
/// </summary>
public static class CslaTextCentres
{
    /// <summary>The mean of <paramref name="prompts"/>' embeddings as the mappers see them (<see cref="CslaModel.PrepareEmbedding"/>), [D].</summary>
    public static Tensor Compute(ClipModel clip, ClipTokenizer tokenizer, CslaModel csla, IReadOnlyList<string> prompts, int batch = 256)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(csla);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0 || prompts.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("the text centre needs at least one prompt and no empty one", nameof(prompts));
        if (clip.Config.EmbedDim != csla.Config.EmbedDim)
            throw new ArgumentException($"CLIP embeds in {clip.Config.EmbedDim} dimensions, the CSLA mappers read {csla.Config.EmbedDim}");
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var sum = zeros(csla.Config.EmbedDim, dtype: ScalarType.Float64);
        for (int start = 0; start < prompts.Count; start += batch)
        {
            var chunk = prompts.Skip(start).Take(batch).ToList();
            var prepared = csla.PrepareEmbedding(clip.EncodeText(ClipTokenIds.FromTexts(tokenizer, chunk)));
            sum = sum.add(prepared.to(ScalarType.Float64).sum(0, keepdim: false));
        }
        return sum.div(prompts.Count).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
