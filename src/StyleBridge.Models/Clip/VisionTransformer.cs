using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.Clip;

/// <summary>
/// CLIP's image tower (<c>visual.*</c>): patchify convolution (kernel = stride = patch, no bias), class token,
/// positional embedding, <c>ln_pre</c>, transformer, <c>ln_post</c> on the class token, projection <c>proj</c>.
/// </summary>
public sealed class VisionTransformer : Module
{
    public VisionTransformer(int inputResolution, int patchSize, int width, int layers, int heads, int outputDim, double eps = 1e-5)
    {
        InputResolution = inputResolution;
        PatchSize = patchSize;
        int grid = inputResolution / patchSize;
        double scale = Math.Pow(width, -0.5);
        using (LibTorch.NoGrad())
        {
            ClassEmbedding = RegisterParameter("class_embedding", LibTorch.Randn([width]).Mul_(scale));
            PositionalEmbedding = RegisterParameter("positional_embedding", LibTorch.Randn([grid * grid + 1, width]).Mul_(scale));
            Proj = RegisterParameter("proj", LibTorch.Randn([width, outputDim]).Mul_(scale));
        }

        Conv1 = RegisterModule("conv1", new Conv2d(3, width, patchSize, stride: patchSize, bias: false));
        LnPre = RegisterModule("ln_pre", new LayerNorm(width, eps));
        Transformer = RegisterModule("transformer", new Transformer(width, layers, heads, eps: eps));
        LnPost = RegisterModule("ln_post", new LayerNorm(width, eps));
    }

    public int InputResolution { get; }
    public int PatchSize { get; }
    public Tensor ClassEmbedding { get; }
    public Tensor PositionalEmbedding { get; }
    public Tensor Proj { get; }
    public Conv2d Conv1 { get; }
    public LayerNorm LnPre { get; }
    public Transformer Transformer { get; }
    public LayerNorm LnPost { get; }

    /// <summary>Precision the tower computes in (the convolution weight's dtype).</summary>
    public ScalarType ComputeType => Conv1.Weight.Dtype;

    /// <param name="images">[N, 3, R, R], already normalised (any float dtype; cast to <see cref="ComputeType"/>).</param>
    /// <returns>[N, output_dim] image features, not normalised.</returns>
    public Tensor Forward(Tensor images, ClipActivations? capture = null)
    {
        if (images.Dim != 4 || images.Size(1) != 3 || images.Size(2) != InputResolution || images.Size(3) != InputResolution)
            throw new ArgumentException($"expected images [N, 3, {InputResolution}, {InputResolution}], got [{string.Join(", ", images.Shape)}]", nameof(images));

        using var scope = TensorScope.Begin();
        var x = images.Dtype == ComputeType ? images : images.To(ComputeType);
        long n = x.Size(0), width = ClassEmbedding.Size(0);

        var patches = Conv1.Forward(x).Flatten(2).Transpose(1, 2); // [N, grid², width], row-major patches
        capture?.Record("visual_patch_embeds", patches);

        var cls = ClassEmbedding.View(1, 1, width).Expand(n, 1, width);
        var tokens = LibTorch.Cat([cls, patches], 1).Add_(PositionalEmbedding);
        capture?.Record("visual_embeds_pre_ln", tokens);

        var h = LnPre.Forward(tokens);
        capture?.Record("visual_ln_pre_out", h);

        h = Transformer.Forward(h, capture, "visual");
        capture?.Record("visual_transformer_out", h);

        var pooled = LnPost.Forward(h.Select(1, 0));
        capture?.Record("visual_pooled", pooled);
        return pooled.Matmul(Proj).MoveToOuterScope();
    }
}
