namespace StyleBridge.Torch;

/// <summary>
/// Tensor–number arithmetic with a Scalar the call owns. TorchSharp 0.107 turns a C# number into a native
/// <see cref="Scalar"/> implicitly and leaves it to the finalizer, which may free it while the native op still reads
/// it, once a collection (triggered by another thread) finds it unreachable mid-call (dotnet/TorchSharp#1434, #1496:
/// seen here as "Unknown scalar type" or a garbage Scalar in <c>at::native::add</c> under load). Here the Scalar is
/// held by a <c>using</c> until the op has returned, then freed at once. Used on the serving hot paths (synthesis,
/// CLIP, the prior's sampler); TorchSharp's own internal conversions (e.g. <c>leaky_relu(double)</c>) stay exposed
/// until the upstream fix.
/// </summary>
public static class ScalarArithmetic
{
    public static Tensor MulScalar(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.mul(s);
    }

    public static Tensor MulScalar_(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.mul_(s);
    }

    public static Tensor AddScalar(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.add(s);
    }

    public static Tensor AddScalar_(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.add_(s);
    }

    public static Tensor SubScalar(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.sub(s);
    }

    public static Tensor DivScalar(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        return x.div(s);
    }

    /// <summary><c>value − x</c>.</summary>
    public static Tensor RsubScalar(this Tensor x, double value)
    {
        using var s = value.ToScalar();
        using var negated = x.neg();
        return negated.add(s);
    }

    public static Tensor ClampScalar(this Tensor x, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return x.clamp(lo, hi);
    }

    public static Tensor ClampScalar_(this Tensor x, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return x.clamp_(lo, hi);
    }
}
