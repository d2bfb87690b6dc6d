using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2.Ops;

/// <summary>
/// rosinality's <c>fused_leaky_relu</c> (its CPU path): <c>leaky_relu(x + bias, 0.2) · √2</c>, the bias broadcast
/// over dim 1; NVIDIA's <c>bias_act(act='lrelu')</c> is the same with an optional clamp to ±clamp after the gain.
/// </summary>
public static class FusedLeakyRelu
{
    public const double NegativeSlope = 0.2;
    public static readonly double Gain = Math.Sqrt(2);

    /// <summary>The reference op, out of place.</summary>
    public static Tensor Apply(Tensor x, Tensor? bias, double negativeSlope = NegativeSlope, double? scale = null, double? clamp = null)
    {
        using var scope = NewDisposeScope();
        var y = x;
        if (bias is not null)
            y = y.add(BroadcastBias(bias, x));
        y = y.leaky_relu(negativeSlope).MulScalar(scale ?? Gain);
        if (clamp is { } c)
            y = y.ClampScalar(-c, c);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The activation for an input that already carries the bias and the gain: leaky ReLU is positively homogeneous,
    /// so <c>lrelu(x + b)·g = lrelu(g·x + g·b)</c>, and callers fold g into the preceding convolution. When gradients
    /// are off the activation and clamp run in place: the result is a new handle to <paramref name="scaled"/>'s memory.
    /// </summary>
    public static Tensor ApplyPrescaled(Tensor scaled, double negativeSlope = NegativeSlope, double? clamp = null)
    {
        if (is_grad_enabled())
        {
            var y = scaled.leaky_relu(negativeSlope);
            if (clamp is not { } c)
                return y;
            using (y)
                return y.ClampScalar(-c, c);
        }

        // Without autograd the activation overwrites its input; the caller owns the result either way.
        var r = scaled.alias().leaky_relu_(negativeSlope);
        return clamp is { } limit ? r.ClampScalar_(-limit, limit) : r;
    }

    private static Tensor BroadcastBias(Tensor bias, Tensor x)
    {
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = bias.size(0);
        return bias.to(x.dtype).view(shape);
    }
}
