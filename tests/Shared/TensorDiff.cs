
namespace StyleBridge.Tests.Shared;

/// <summary>Comparisons of a result against a golden tensor, in float64 on the CPU.</summary>
public static class TensorDiff
{
    /// <summary>max |actual − expected| over all elements, after checking the shapes agree.</summary>
    public static double MaxAbs(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return actual.cpu().to(ScalarType.Float64).sub(expected.cpu().to(ScalarType.Float64)).abs().max().item<double>();
    }

    public static void Close(Tensor actual, Tensor expected, double tolerance, string what)
    {
        double diff = MaxAbs(actual, expected);
        Assert.True(diff <= tolerance, $"{what}: max |Δ| = {diff:G3} > {tolerance:G3}");
    }
}
