namespace StyleBridge.Models.Clip;

/// <summary>
/// CLIP re-ranking of generated candidates: the cosine similarity between each candidate's raw image embedding and its
/// prompt's raw text embedding (<c>dot / max(‖a‖·‖b‖, eps)</c>, eps 1e-8, as <c>torch.cosine_similarity</c>), and
/// the order best first.
/// </summary>
public static class ClipRanking
{
    /// <summary>
    /// Scores [P·K] of image embeddings [P·K, D] against text embeddings [P, D], candidates of prompt p in rows
    /// p·K … p·K + K − 1 (the text repeated consecutively, as the reference's <c>repeat_interleave</c>).
    /// </summary>
    public static Tensor Scores(Tensor imageEmbeddings, Tensor textEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(imageEmbeddings);
        ArgumentNullException.ThrowIfNull(textEmbeddings);
        if (imageEmbeddings.dim() != 2 || textEmbeddings.dim() != 2 || imageEmbeddings.shape[1] != textEmbeddings.shape[1])
            throw new ArgumentException($"embeddings must be [N, D] and [P, D] with one D, got {TensorBytes.Format(imageEmbeddings.shape)} and {TensorBytes.Format(textEmbeddings.shape)}");
        long prompts = textEmbeddings.shape[0];
        if (prompts == 0 || imageEmbeddings.shape[0] % prompts != 0)
            throw new ArgumentException($"{imageEmbeddings.shape[0]} candidates do not split evenly over {prompts} prompts");
        using var scope = NewDisposeScope();
        long k = imageEmbeddings.shape[0] / prompts;
        var text = textEmbeddings.repeat_interleave(k, 0);
        return F.cosine_similarity(imageEmbeddings, text, 1, 1e-8).MoveToOuterDisposeScope();
    }

    /// <summary>Candidate indices (0..K−1) of each prompt, best first: [P, K] from scores [P·K].</summary>
    public static Tensor OrderPerPrompt(Tensor scores, long candidatesPerPrompt)
    {
        using var scope = NewDisposeScope();
        var order = scores.view(-1, candidatesPerPrompt).sort(1, descending: true, stable: true).Indices;
        return order.MoveToOuterDisposeScope();
    }
}
