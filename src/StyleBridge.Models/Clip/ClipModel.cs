using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// OpenAI CLIP, ViT variant (<c>clip/model.py</c> class <c>CLIP</c>), with the reference's parameter names and
/// state_dict order. Text tower: token + positional embedding, causal transformer, <c>ln_final</c>, pooling at the
/// first end-of-text token (argmax of the ids), <c>text_projection</c>. Image tower: <see cref="VisionTransformer"/>.
/// Transformers run batch-first; the reference's sequence-first layout is only a memory layout.
/// </summary>
public sealed class ClipModel : TorchModule
{
    /// <param name="initialize">Draw the reference's initial values; off when a checkpoint overwrites them anyway.</param>
    public ClipModel(ClipConfig config, bool initialize = true) : base(nameof(ClipModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        using (no_grad())
        {
            RegisterParameter("positional_embedding", empty(new long[] { config.ContextLength, config.TransformerWidth }));
            RegisterParameter("text_projection", empty(new long[] { config.TransformerWidth, config.EmbedDim }));
            RegisterParameter("logit_scale", tensor((float)Math.Log(1 / 0.07)));
        }

        Visual = RegisterModule("visual", new VisionTransformer(config.ImageResolution, config.VisionPatchSize, config.VisionWidth,
            config.VisionLayers, config.VisionHeads, config.EmbedDim, config.LayerNormEps));
        Transformer = RegisterModule("transformer", new Transformer(config.TransformerWidth, config.TransformerLayers,
            config.TransformerHeads, causal: true, contextLength: config.ContextLength, eps: config.LayerNormEps));
        TokenEmbedding = RegisterModule("token_embedding", nn.Embedding(config.VocabSize, config.TransformerWidth));
        LnFinal = RegisterModule("ln_final", new LayerNorm(config.TransformerWidth, config.LayerNormEps));
        if (initialize)
            InitializeParameters();
    }

    public ClipConfig Config { get; }
    public Parameter PositionalEmbedding => Param("positional_embedding");
    public Parameter TextProjection => Param("text_projection");

    /// <summary>0-dim log temperature; logits use exp(logit_scale).</summary>
    public Parameter LogitScale => Param("logit_scale");

    public VisionTransformer Visual { get; }
    public Transformer Transformer { get; }
    public Embedding TokenEmbedding { get; }
    public LayerNorm LnFinal { get; }

    /// <summary>The reference's <c>initialize_parameters</c> (normal draws with its standard deviations).</summary>
    public void InitializeParameters(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        TokenEmbedding.weight!.normal_(0, 0.02, generator);
        PositionalEmbedding.normal_(0, 0.01, generator);
        LogitScale.fill_(Math.Log(1 / 0.07));
        foreach (var tower in (Transformer[])[Visual.Transformer, Transformer])
        {
            double projStd = Math.Pow(tower.Width, -0.5) * Math.Pow(2 * tower.Layers, -0.5);
            double attnStd = Math.Pow(tower.Width, -0.5);
            double fcStd = Math.Pow(2 * tower.Width, -0.5);
            foreach (var block in tower.Resblocks)
            {
                block.Attn.InProjWeight.normal_(0, attnStd, generator);
                block.Attn.OutProj.weight.normal_(0, projStd, generator);
                block.Mlp.CFc.weight.normal_(0, fcStd, generator);
                block.Mlp.CProj.weight.normal_(0, projStd, generator);
            }
        }

        TextProjection.normal_(0, Math.Pow(Transformer.Width, -0.5), generator);
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
        if (!device.IsCuda() && dtype != ScalarType.Float32)
            throw new ArgumentException($"on the CPU CLIP computes in float32 (asked for {dtype})", nameof(dtype));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules().ToList())
        {
            if (module is not TorchModule own)
            {
                // TorchSharp's own leaf layers (Linear, Embedding, Conv2d) hold floating weights only
                if (!module.named_children().Any())
                    module.to(device, dtype);
                continue;
            }

            // own tensors only: children are visited by the loop themselves
            var tensors = own.named_parameters(recurse: false).Select(p => (p.name, (Tensor)p.parameter))
                .Concat(own.named_buffers(recurse: false, include_nonpersistent: true)).ToList();
            foreach (var (name, t) in tensors)
            {
                var type = !t.dtype.IsFloatingPoint() ? t.dtype
                    : own is LayerNorm || (ReferenceEquals(own, this) && name == "logit_scale") ? ScalarType.Float32
                    : dtype;
                if (t.dtype != type || t.device != device)
                    own.ReplaceTensor(name, t.to(type, device));
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
        if (ids.dim() != 2 || ids.size(0) == 0 || ids.size(1) == 0 || ids.size(1) > Config.ContextLength)
            throw new ArgumentException($"expected token ids [N ≥ 1, 1..{Config.ContextLength}], got [{string.Join(", ", ids.shape)}]", nameof(ids));
        if (ids.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"token ids must be int64 or int32, got {ids.dtype}", nameof(ids));

        using var scope = NewDisposeScope();
        long n = ids.size(0), width = Config.TransformerWidth;
        var tokens = ids.dtype == ScalarType.Int64 ? ids : ids.@long();
        var eot = tokens.argmax(-1); // the end-of-text id is the largest; the first one wins
        capture?.Record("text_eot_index", eot);
        if (trimPadding)
        {
            long used = eot.max().item<long>() + 1;
            if (used < tokens.size(1))
                tokens = tokens.narrow(1, 0, used);
        }

        long length = tokens.size(1);
        var x = TokenEmbedding.forward(tokens); // [N, L, width]
        var positions = length == Config.ContextLength ? PositionalEmbedding : PositionalEmbedding.narrow(0, 0, length);
        x = x.add_(positions.dtype == x.dtype ? positions : positions.to(x.dtype));
        capture?.Record("text_embeds", x);

        x = Transformer.Forward(x, capture, "text");
        capture?.Record("text_transformer_out", x);
        if (capture is not null)
            capture.Record("text_ln_final_out", LnFinal.Forward(x));

        // LayerNorm acts row by row, so normalising only the pooled rows gives the same values
        var index = eot.view(n, 1, 1).expand(n, 1, width);
        var pooled = LnFinal.Forward(x.gather(1, index).squeeze(1));
        capture?.Record("text_eot_hidden", pooled);
        return pooled.matmul(TextProjection).MoveToOuterDisposeScope();
    }

    /// <summary>exp(logit_scale) as a float32 0-dim tensor on the model's device.</summary>
    public Tensor LogitScaleExp()
    {
        using var scope = NewDisposeScope();
        return LogitScale.to(ScalarType.Float32).exp().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reference <c>forward</c> on features: both L2-normalised (no epsilon), then
    /// <c>logits_per_image = exp(logit_scale) · img_n · txt_nᵀ</c> and its transpose. Computed in float32 whatever
    /// the model's precision.
    /// </summary>
    public ClipLogits Logits(Tensor imageFeatures, Tensor textFeatures)
    {
        using var scope = NewDisposeScope();
        var image = Normalize(imageFeatures.to(ScalarType.Float32));
        var text = Normalize(textFeatures.to(ScalarType.Float32));
        var perImage = LogitScaleExp().mul(image).matmul(text.t()); // (scale · img) @ txtᵀ, the reference's order
        var perText = perImage.t();
        return new ClipLogits(perImage.MoveToOuterDisposeScope(), perText.MoveToOuterDisposeScope());
    }

    /// <summary>encode_image, encode_text, then <see cref="Logits"/>.</summary>
    public ClipLogits Forward(Tensor images, Tensor ids)
    {
        using var scope = NewDisposeScope();
        return Logits(EncodeImage(images), EncodeText(ids)).MoveToOuterDisposeScope();
    }

    /// <summary>x / ‖x‖₂ along the last dim, without epsilon (as the reference).</summary>
    public static Tensor Normalize(Tensor features)
    {
        using var scope = NewDisposeScope();
        return features.div(features.norm(-1, keepdim: true, p: 2)).MoveToOuterDisposeScope();
    }
}

/// <summary>Similarity logits, both directions (<c>logits_per_text</c> is the transpose view of <c>logits_per_image</c>).</summary>
public sealed record ClipLogits(Tensor PerImage, Tensor PerText) : IDisposable
{
    public ClipLogits MoveToOuterDisposeScope()
    {
        PerImage.MoveToOuterDisposeScope();
        PerText.MoveToOuterDisposeScope();
        return this;
    }

    public void Dispose()
    {
        PerImage.Dispose();
        PerText.Dispose();
    }
}
