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
        using var scope = TensorScope.Begin();
        var y = x;
        if (bias is not null)
            y = y.Add(BroadcastBias(bias, x));
        y = y.LeakyRelu(negativeSlope).Mul(scale ?? Gain);
        if (clamp is { } c)
            y = y.Clamp(-c, c);
        return y.MoveToOuterScope();
    }

    /// <summary>
    /// The activation for an input that already carries the bias and the gain: leaky ReLU is positively homogeneous,
    /// so <c>lrelu(x + b)·g = lrelu(g·x + g·b)</c>, and callers fold g into the preceding convolution. When gradients
    /// are off the activation and clamp run in place: the result is a new handle to <paramref name="scaled"/>'s memory.
    /// </summary>
    public static Tensor ApplyPrescaled(Tensor scaled, double negativeSlope = NegativeSlope, double? clamp = null)
    {
        if (LibTorch.IsGradEnabled)
        {
            var y = scaled.LeakyRelu(negativeSlope);
            if (clamp is not { } c)
                return y;
            using (y)
                return y.Clamp(-c, c);
        }

        // Without autograd the activation overwrites its input; the caller owns the result either way.
        var r = scaled.Alias().LeakyRelu_(negativeSlope);
        return clamp is { } limit ? r.Clamp_(-limit, limit) : r;
    }

    private static Tensor BroadcastBias(Tensor bias, Tensor x)
    {
        var shape = new long[x.Dim];
        Array.Fill(shape, 1L);
        shape[1] = bias.Size(0);
        return bias.To(x.Dtype).View(shape);
    }
}
