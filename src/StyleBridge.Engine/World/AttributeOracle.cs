namespace StyleBridge.Engine.World;

/// <summary>
/// The Shapes world's attribute classifier, for measurement only (never a training signal for a method): a small
/// CNN over 64 px images in [-1, 1] (four stride-2 3×3 convolutions, 32→64→128→128 channels, ReLU), a 256-wide
/// penultimate layer (<c>features</c>, the space of the world's Fréchet distance) and one linear head per attribute.
/// </summary>
public sealed class AttributeOracle : TorchModule
{
    public const int FeatureDim = 256;

    // TorchSharp's own layers move in place under to(), so holding them is safe (unlike parameters)
    private readonly TorchSharp.Modules.Conv2d[] convs;
    private readonly TorchSharp.Modules.Linear features;
    private readonly TorchSharp.Modules.Linear[] heads;

    public AttributeOracle() : base(nameof(AttributeOracle))
    {
        convs =
        [
            RegisterModule("conv1", nn.Conv2d(3, 32, 3, stride: 2, padding: 1)),
            RegisterModule("conv2", nn.Conv2d(32, 64, 3, stride: 2, padding: 1)),
            RegisterModule("conv3", nn.Conv2d(64, 128, 3, stride: 2, padding: 1)),
            RegisterModule("conv4", nn.Conv2d(128, 128, 3, stride: 2, padding: 1)),
        ];
        features = RegisterModule("features", nn.Linear(128 * 4 * 4, FeatureDim));
        heads = [.. ShapeAttributes.Attributes.Select(a =>
            RegisterModule("head_" + a.ToString().ToLowerInvariant(), nn.Linear(FeatureDim, ShapeAttributes.ValueCount(a))))];
    }

    /// <summary>Penultimate features [N, 256] and one logit tensor per attribute (in <see cref="ShapeAttributes.Attributes"/> order).</summary>
    public (Tensor Features, Tensor[] Logits) Forward(Tensor images)
    {
        if (images.dim() != 4 || images.size(0) == 0 || images.size(1) != 3 || images.size(2) != 64 || images.size(3) != 64 || !images.dtype.IsFloatingPoint())
            throw new ArgumentException($"expected floating images [N ≥ 1, 3, 64, 64], got {images.dtype} {TensorBytes.Format(images.shape)}", nameof(images));
        using var scope = NewDisposeScope();
        var x = images;
        foreach (var conv in convs)
            x = F.relu(conv.forward(x));
        var hidden = F.relu(features.forward(x.flatten(1)));
        var logits = heads.Select(h => h.forward(hidden).MoveToOuterDisposeScope()).ToArray();
        return (hidden.MoveToOuterDisposeScope(), logits);
    }

    /// <summary>The predicted value index of every attribute, [N, 5] (columns in <see cref="ShapeAttributes.Attributes"/> order).</summary>
    public long[,] Predict(Tensor images)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (_, logits) = Forward(images);
        var columns = logits.Select(l => l.argmax(1).data<long>().ToArray()).ToArray();
        var result = new long[images.size(0), columns.Length];
        for (int i = 0; i < result.GetLength(0); i++)
            for (int a = 0; a < columns.Length; a++)
                result[i, a] = columns[a][i];
        return result;
    }
}
