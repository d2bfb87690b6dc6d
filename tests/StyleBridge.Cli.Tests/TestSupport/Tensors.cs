using StyleBridge.Torch;

namespace StyleBridge.Cli.Tests;

internal static class Tensors
{
    /// <summary>max |actual − expected| in float64, after checking the shapes agree.</summary>
    public static double MaxAbsDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        using var scope = TensorScope.Begin();
        return actual.Double().Sub(expected.Double()).Abs().Max().Item<double>();
    }

    public static void Close(Tensor actual, Tensor expected, double tolerance, string what)
    {
        double diff = MaxAbsDiff(actual, expected);
        Assert.True(diff <= tolerance, $"{what}: max |Δ| = {diff:G3} > {tolerance:G3}");
    }
}
