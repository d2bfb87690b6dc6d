using StyleBridge.Torch;

namespace StyleBridge.Models.Clip;

/// <summary>
/// CLIP's image tower (<c>visual.*</c>): patchify convolution (kernel = stride = patch, no bias), class token,
/// positional embedding, <c>ln_pre</c>, transformer, <c>ln_post</c> on the class token, projection <c>proj</c>.
/// </summary>
public sealed class VisionTransformer : TorchModule
{
    public VisionTransformer(int inputResolution, int patchSize, int width, int layers, int heads, int outputDim, double eps = 1e-5) : base(nameof(VisionTransformer))
    {
        InputResolution = inputResolution;
        PatchSize = patchSize;
        int grid = inputResolution / patchSize;
        double scale = Math.Pow(width, -0.5);
        using (no_grad())
        {
            RegisterParameter("class_embedding", randn(new long[] { width }).mul_(scale));
            RegisterParameter("positional_embedding", randn(new long[] { grid * grid + 1, width }).mul_(scale));
            RegisterParameter("proj", randn(new long[] { width, outputDim }).mul_(scale));
        }

        Conv1 = RegisterModule("conv1", nn.Conv2d(3, width, patchSize, stride: patchSize, bias: false));
        LnPre = RegisterModule("ln_pre", new LayerNorm(width, eps));
        Transformer = RegisterModule("transformer", new Transformer(width, layers, heads, eps: eps));
        LnPost = RegisterModule("ln_post", new LayerNorm(width, eps));
    }

    public int InputResolution { get; }
    public int PatchSize { get; }
    public Parameter ClassEmbedding => Param("class_embedding");
    public Parameter PositionalEmbedding => Param("positional_embedding");
    public Parameter Proj => Param("proj");
    public Conv2d Conv1 { get; }
    public LayerNorm LnPre { get; }
    public Transformer Transformer { get; }
    public LayerNorm LnPost { get; }

    /// <summary>Precision the tower computes in (the convolution weight's dtype).</summary>
    public ScalarType ComputeType => Conv1.weight.dtype;

    /// <param name="images">[N, 3, R, R], already normalised (any float dtype; cast to <see cref="ComputeType"/>).</param>
    /// <returns>[N, output_dim] image features, not normalised.</returns>
    public Tensor Forward(Tensor images, ClipActivations? capture = null)
    {
        if (images.dim() != 4 || images.size(0) == 0 || images.size(1) != 3 || images.size(2) != InputResolution || images.size(3) != InputResolution
            || !images.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected floating images [N ≥ 1, 3, {InputResolution}, {InputResolution}], got {images.dtype} {TensorBytes.Format(images.shape)}", nameof(images));

        using var scope = NewDisposeScope();
        var x = images.dtype == ComputeType ? images : images.to(ComputeType);
        long n = x.size(0), width = ClassEmbedding.size(0);

        var patches = Conv1.forward(x).flatten(2).transpose(1, 2); // [N, grid², width], row-major patches
        capture?.Record("visual_patch_embeds", patches);

        var cls = ClassEmbedding.view(1, 1, width).expand(n, 1, width);
        var tokens = cat([cls, patches], 1).add_(PositionalEmbedding);
        capture?.Record("visual_embeds_pre_ln", tokens);

        var h = LnPre.Forward(tokens);
        capture?.Record("visual_ln_pre_out", h);

        h = Transformer.Forward(h, capture, "visual");
        capture?.Record("visual_transformer_out", h);

        var pooled = LnPost.Forward(h.select(1, 0));
        capture?.Record("visual_pooled", pooled);
        return pooled.matmul(Proj).MoveToOuterDisposeScope();
    }
}
