using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>
/// OpenAI CLIP, ViT variant (<c>clip/model.py</c> class <c>CLIP</c>), with the reference's parameter names and
/// state_dict order. Text tower: token + positional embedding, causal transformer, <c>ln_final</c>, pooling at the
/// first end-of-text token (argmax of the ids), <c>text_projection</c>. Image tower: <see cref="VisionTransformer"/>.
/// Transformers run batch-first; the reference's sequence-first layout is only a memory layout.
/// </summary>
public sealed class ClipModel : Module
{
    /// <param name="initialize">Draw the reference's initial values; off when a checkpoint overwrites them anyway.</param>
    public ClipModel(ClipConfig config, bool initialize = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        using (LibTorch.NoGrad())
        {
            PositionalEmbedding = RegisterParameter("positional_embedding", LibTorch.Empty([config.ContextLength, config.TransformerWidth]));
            TextProjection = RegisterParameter("text_projection", LibTorch.Empty([config.TransformerWidth, config.EmbedDim]));
            LogitScale = RegisterParameter("logit_scale", LibTorch.Scalar(Math.Log(1 / 0.07)));
        }

        Visual = RegisterModule("visual", new VisionTransformer(config.ImageResolution, config.VisionPatchSize, config.VisionWidth,
            config.VisionLayers, config.VisionHeads, config.EmbedDim, config.LayerNormEps));
        Transformer = RegisterModule("transformer", new Transformer(config.TransformerWidth, config.TransformerLayers,
            config.TransformerHeads, causal: true, contextLength: config.ContextLength, eps: config.LayerNormEps));
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(config.VocabSize, config.TransformerWidth));
        LnFinal = RegisterModule("ln_final", new LayerNorm(config.TransformerWidth, config.LayerNormEps));
        if (initialize)
            InitializeParameters();
    }

    public ClipConfig Config { get; }
    public Tensor PositionalEmbedding { get; }
    public Tensor TextProjection { get; }

    /// <summary>0-dim log temperature; logits use exp(logit_scale).</summary>
    public Tensor LogitScale { get; }

    public VisionTransformer Visual { get; }
    public Transformer Transformer { get; }
    public Embedding TokenEmbedding { get; }
    public LayerNorm LnFinal { get; }

    /// <summary>The reference's <c>initialize_parameters</c> (normal draws with its standard deviations).</summary>
    public void InitializeParameters(Generator? generator = null)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        TokenEmbedding.Weight.Normal_(0, 0.02, generator);
        PositionalEmbedding.Normal_(0, 0.01, generator);
        LogitScale.Fill_(Math.Log(1 / 0.07));
        foreach (var tower in (Transformer[])[Visual.Transformer, Transformer])
        {
            double projStd = Math.Pow(tower.Width, -0.5) * Math.Pow(2 * tower.Layers, -0.5);
            double attnStd = Math.Pow(tower.Width, -0.5);
            double fcStd = Math.Pow(2 * tower.Width, -0.5);
            foreach (var block in tower.Resblocks)
            {
                block.Attn.InProjWeight.Normal_(0, attnStd, generator);
                block.Attn.OutProj.Weight.Normal_(0, projStd, generator);
                block.Mlp.CFc.Weight.Normal_(0, fcStd, generator);
                block.Mlp.CProj.Weight.Normal_(0, projStd, generator);
            }
        }

        TextProjection.Normal_(0, Math.Pow(Transformer.Width, -0.5), generator);
    }

    /// <summary>
    /// Moves the model to <paramref name="device"/> and computes in <paramref name="dtype"/> there, following the
    /// reference's <c>convert_weights</c> policy: every floating parameter takes <paramref name="dtype"/> except the
    /// LayerNorm weights and biases, which stay float32 (the LayerNorms compute in float32), and <c>logit_scale</c>.
    /// The CPU computes in float32 only.
    /// </summary>
    public ClipModel ToDevice(Device device, ScalarType dtype = ScalarType.Float32)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"CLIP computes in float32, float16 or bfloat16, not {dtype}", nameof(dtype));
        if (!device.IsCuda && dtype != ScalarType.Float32)
            throw new ArgumentException($"on the CPU CLIP computes in float32 (asked for {dtype})", nameof(dtype));

        using var scope = TensorScope.Begin();
        using var noGrad = LibTorch.NoGrad();
        foreach (var (_, module) in NamedModules())
        {
            // own tensors only: dotted names belong to children, which the loop visits themselves
            foreach (var (name, t) in module.NamedParameters().Concat(module.NamedBuffers()))
            {
                if (name.Contains('.'))
                    continue;
                var type = !t.Dtype.IsFloatingPoint() ? t.Dtype
                    : module is LayerNorm || ReferenceEquals(t, LogitScale) ? ScalarType.Float32
                    : dtype;
                if (t.Dtype != type || t.Device != device)
                    t.SetData(t.To(device, type));
            }
        }

        return this;
    }

    /// <summary>Image features [N, embed_dim] (not normalised) of normalised images [N, 3, R, R].</summary>
    public Tensor EncodeImage(Tensor images, ClipActivations? capture = null) => Visual.Forward(images, capture);

    /// <summary>
    /// Text features [N, embed_dim] (not normalised) of token ids [N, L] (int64, L ≤ context length, usually 77),
    /// taken at the first end-of-text token (argmax of the ids).
    /// </summary>
    /// <param name="trimPadding">
    /// Run the transformer only up to the last end-of-text position of the batch. The causal mask keeps later
    /// positions from reaching the pooled ones, so the result is the same up to float rounding, at a fraction of the
    /// cost for short prompts. Off by default, as the reference processes all positions.
    /// </param>
    public Tensor EncodeText(Tensor ids, ClipActivations? capture = null, bool trimPadding = false)
    {
        if (ids.Dim != 2 || ids.Size(1) > Config.ContextLength)
            throw new ArgumentException($"expected token ids [N, ≤{Config.ContextLength}], got [{string.Join(", ", ids.Shape)}]", nameof(ids));
        if (ids.Dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"token ids must be int64 or int32, got {ids.Dtype}", nameof(ids));

        using var scope = TensorScope.Begin();
        long n = ids.Size(0), width = Config.TransformerWidth;
        var tokens = ids.Dtype == ScalarType.Int64 ? ids : ids.Long();
        var eot = tokens.Argmax(-1); // the end-of-text id is the largest; the first one wins
        capture?.Record("text_eot_index", eot);
        if (trimPadding)
        {
            long used = eot.Max().Item<long>() + 1;
            if (used < tokens.Size(1))
                tokens = tokens.Narrow(1, 0, used);
        }

        long length = tokens.Size(1);
        var x = TokenEmbedding.Forward(tokens); // [N, L, width]
        var positions = length == Config.ContextLength ? PositionalEmbedding : PositionalEmbedding.Narrow(0, 0, length);
        x = x.Add_(positions.Dtype == x.Dtype ? positions : positions.To(x.Dtype));
        capture?.Record("text_embeds", x);

        x = Transformer.Forward(x, capture, "text");
        capture?.Record("text_transformer_out", x);
        if (capture is not null)
            capture.Record("text_ln_final_out", LnFinal.Forward(x));

        // LayerNorm acts row by row, so normalising only the pooled rows gives the same values
        var index = eot.View(n, 1, 1).Expand(n, 1, width);
        var pooled = LnFinal.Forward(x.Gather(1, index).Squeeze(1));
        capture?.Record("text_eot_hidden", pooled);
        return pooled.Matmul(TextProjection).MoveToOuterScope();
    }

    /// <summary>exp(logit_scale) as a float32 0-dim tensor on the model's device.</summary>
    public Tensor LogitScaleExp()
    {
        using var scope = TensorScope.Begin();
        return LogitScale.To(ScalarType.Float32).Exp().MoveToOuterScope();
    }

    /// <summary>
    /// The reference <c>forward</c> on features: both L2-normalised (no epsilon), then
    /// <c>logits_per_image = exp(logit_scale) · img_n · txt_nᵀ</c> and its transpose. Computed in float32 whatever
    /// the model's precision.
    /// </summary>
    public ClipLogits Logits(Tensor imageFeatures, Tensor textFeatures)
    {
        using var scope = TensorScope.Begin();
        var image = Normalize(imageFeatures.To(ScalarType.Float32));
        var text = Normalize(textFeatures.To(ScalarType.Float32));
        var perImage = LogitScaleExp().Mul(image).Matmul(text.T()); // (scale · img) @ txtᵀ, the reference's order
        var perText = perImage.T();
        return new ClipLogits(perImage.MoveToOuterScope(), perText.MoveToOuterScope());
    }

    /// <summary>encode_image, encode_text, then <see cref="Logits"/>.</summary>
    public ClipLogits Forward(Tensor images, Tensor ids)
    {
        using var scope = TensorScope.Begin();
        return Logits(EncodeImage(images), EncodeText(ids)).MoveToOuterScope();
    }

    /// <summary>x / ‖x‖₂ along the last dim, without epsilon (as the reference).</summary>
    public static Tensor Normalize(Tensor features)
    {
        using var scope = TensorScope.Begin();
        return features.Div(features.Norm(2, [-1], keepdim: true)).MoveToOuterScope();
    }
}

/// <summary>Similarity logits, both directions (<c>logits_per_text</c> is the transpose view of <c>logits_per_image</c>).</summary>
public sealed record ClipLogits(Tensor PerImage, Tensor PerText) : IDisposable
{
    public ClipLogits MoveToOuterScope()
    {
        PerImage.MoveToOuterScope();
        PerText.MoveToOuterScope();
        return this;
    }

    public void Dispose()
    {
        PerImage.Dispose();
        PerText.Dispose();
    }
}
