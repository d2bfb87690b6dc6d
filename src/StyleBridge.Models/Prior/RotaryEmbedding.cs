namespace StyleBridge.Models.Prior;

/// <summary>
/// rotary-embedding-torch 0.1.5 with interleaved pairs: inverse frequencies <c>freqs</c> = 10000^(−2k/d) (a buffer),
/// angle <c>p·f_k</c> for both features of pair k at position p; the features past <c>d</c> pass through.
/// </summary>
public sealed class RotaryEmbedding : TorchModule
{
    public RotaryEmbedding(int dim) : base(nameof(RotaryEmbedding))
    {
        Dim = dim;
        RegisterBuffer("freqs", InverseFrequencies(dim));
    }

    public int Dim { get; }

    public static Tensor InverseFrequencies(int dim) =>
        pow(10000.0, arange(0, dim, 2, ScalarType.Float32).div(dim).neg()).to(ScalarType.Float32);

    /// <summary>Angles [positions, Dim]: <c>[p·f0, p·f0, p·f1, p·f1, ...]</c>.</summary>
    public Tensor Angles(long positions)
    {
        using var scope = NewDisposeScope();
        var freqs = Buffer("freqs");
        var p = arange(positions, dtype: freqs.dtype, device: freqs.device);
        var angles = p.unsqueeze(1).mul(freqs.unsqueeze(0));
        return angles.repeat_interleave(2, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Rotates the first <see cref="Dim"/> features of <paramref name="x"/> [..., positions, features].</summary>
    public static Tensor Rotate(Tensor x, Tensor angles)
    {
        using var scope = NewDisposeScope();
        long d = angles.shape[^1];
        var rotated = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, d)];
        var rest = x[TensorIndex.Ellipsis, TensorIndex.Slice(d)];
        var cos = angles.cos().to(x.dtype);
        var sin = angles.sin().to(x.dtype);
        var result = rotated.mul(cos).add(RotateHalf(rotated).mul(sin));
        return cat([result, rest], -1).MoveToOuterDisposeScope();
    }

    /// <summary>(x0, x1, x2, x3, ...) → (−x1, x0, −x3, x2, ...).</summary>
    private static Tensor RotateHalf(Tensor x)
    {
        var pairs = x.reshape([.. x.shape[..^1], x.shape[^1] / 2, 2]);
        var first = pairs[TensorIndex.Ellipsis, 0];
        var second = pairs[TensorIndex.Ellipsis, 1];
        return stack([second.neg(), first], -1).flatten(-2);
    }
}
