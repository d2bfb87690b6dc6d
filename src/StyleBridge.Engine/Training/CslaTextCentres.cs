using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

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
        using var scope = NewDisposeScope();
        return PreparedTexts(clip, tokenizer, csla, prompts, batch).mean([0]).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>The prompts' embeddings as the mappers see them, in float64, [N, D] (in the caller's dispose scope).</summary>
    private static Tensor PreparedTexts(ClipModel clip, ClipTokenizer tokenizer, CslaModel csla, IReadOnlyList<string> prompts, int batch)
    {
        if (clip.Config.EmbedDim != csla.Config.EmbedDim)
            throw new ArgumentException($"CLIP embeds in {clip.Config.EmbedDim} dimensions, the CSLA mappers read {csla.Config.EmbedDim}");
        using var mode = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < prompts.Count; start += batch)
        {
            var chunk = prompts.Skip(start).Take(batch).ToList();
            parts.Add(csla.PrepareEmbedding(clip.EncodeText(ClipTokenIds.FromTexts(tokenizer, chunk))).to(ScalarType.Float64));
        }
        return cat(parts);
    }

    /// <summary>
    /// The text map T [D, D]: the optimal-transport map between Gaussians fitted to the two residual distributions,
    /// text residuals t − c_txt of <paramref name="prompts"/> and image residuals f − c_img of the raw generator-sample
    /// embeddings <paramref name="images"/> [N, D] (<see cref="ImageBank"/>; the mappers' training distribution):
    /// T = Σt^-½ (Σt^½ Σi Σt^½)^½ Σt^-½, symmetric, so that (t − c_txt)·T has the image residuals' covariance. The
    /// centres match first moments (csla.md §3.4); T matches second moments, directions in which captions spread less
    /// than images are stretched and the rest shrunk, and no caption is paired with an image. Σt is shrunk toward its
    /// mean variance by <paramref name="shrinkage"/> so that directions no caption moves are not blown up.
    /// </summary>
    public static Tensor TransportMap(ClipModel clip, ClipTokenizer tokenizer, CslaModel csla, IReadOnlyList<string> prompts, Tensor textCentre,
        Tensor images, double shrinkage = 0.1, int batch = 250)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(csla);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(textCentre);
        ArgumentNullException.ThrowIfNull(images);
        if (prompts.Count < 2 || prompts.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("the text map needs at least two prompts and no empty one", nameof(prompts));
        if (images.ndim != 2 || images.shape[0] < 2 || images.shape[1] != csla.Config.EmbedDim)
            throw new ArgumentException($"the text map needs at least two image embeddings [N, {csla.Config.EmbedDim}], got {TensorBytes.Format(images.shape)}", nameof(images));
        if (!double.IsFinite(shrinkage) || shrinkage is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(shrinkage), shrinkage, "shrinkage must lie in [0, 1]");
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var textResiduals = PreparedTexts(clip, tokenizer, csla, prompts, batch).sub(textCentre.to(ScalarType.Float64));
        var imageResiduals = csla.PrepareEmbedding(images).to(ScalarType.Float64).sub(csla.ImageCentre.to(ScalarType.Float64));

        var sigmaText = Covariance(textResiduals);
        long d = sigmaText.shape[0];
        double meanVariance = sigmaText.trace().item<double>() / d;
        sigmaText = sigmaText.mul(1 - shrinkage).add(eye(d, dtype: ScalarType.Float64).mul(shrinkage * meanVariance));
        return GaussianTransport(sigmaText, Covariance(imageResiduals)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Raw CLIP image embeddings [N, D] of <paramref name="samples"/> generator samples drawn from <paramref name="seed"/>
    /// (z ~ N(0, I), ψ = 1, the generator's fixed noise, as text to image draws its bases): the text map's image side and
    /// the image bank of <see cref="StyleBridge.Models.Csla.CslaModel.TextPrototype"/>.
    /// </summary>
    public static Tensor ImageBank(ClipModel clip, Generator generator, int samples, ulong seed, int batch = 250)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(generator);
        if (samples < 1)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "at least one sample");
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var transform = new ClipImageTransform(clip.Config.ImageResolution);
        var random = new RandomGenerator(seed);
        var images = new List<Tensor>();
        for (int start = 0; start < samples; start += batch)
        {
            using var part = NewDisposeScope();
            var z = randn([Math.Min(batch, samples - start), generator.Config.StyleDim], generator: random);
            var pixels = generator.Synthesize(generator.Broadcast(generator.Map(z)), SynthesisOptions.Default);
            images.Add(clip.EncodeImage(transform.Apply(pixels)).MoveToOuterDisposeScope());
        }
        return cat(images).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The optimal-transport (Monge) map between zero-mean Gaussians of covariances <paramref name="from"/> (positive
    /// definite) and <paramref name="to"/>: T = A^-½ (A^½ B A^½)^½ A^-½, symmetric, with T·A·T = B. Float64, [D, D].
    /// </summary>
    public static Tensor GaussianTransport(Tensor from, Tensor to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.ndim != 2 || from.shape[0] != from.shape[1] || !from.shape.SequenceEqual(to.shape))
            throw new ArgumentException($"both covariances must be the same square [D, D], got {TensorBytes.Format(from.shape)} and {TensorBytes.Format(to.shape)}");
        using var scope = NewDisposeScope();
        var a = from.to(ScalarType.Float64);
        var b = to.to(ScalarType.Float64);
        var root = MatrixPower(a, 0.5);
        var inverseRoot = MatrixPower(a, -0.5);
        var map = inverseRoot.matmul(MatrixPower(root.matmul(b).matmul(root), 0.5)).matmul(inverseRoot);
        return map.add(map.T).div(2).MoveToOuterDisposeScope();
    }

    /// <summary>Second moments about the rows' given centre (the residuals are already centred on c_txt or c_img), [D, D].</summary>
    private static Tensor Covariance(Tensor residuals) => residuals.T.matmul(residuals).div(residuals.shape[0]);

    /// <summary>A symmetric positive semi-definite matrix to the power p, by its eigendecomposition (eigenvalues floored at 1e-12).</summary>
    private static Tensor MatrixPower(Tensor symmetric, double p)
    {
        var (values, vectors) = linalg.eigh(symmetric);
        return vectors.mul(values.clamp_min(1e-12).pow(p).unsqueeze(0)).matmul(vectors.T);
    }
}
