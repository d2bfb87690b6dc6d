using StyleBridge.Torch;

namespace StyleBridge.Torch.Tests.TestSupport;

public static class TensorAssert
{
    public static void Close(double[] expected, Tensor actual, double atol, string? what = null)
    {
        using var d = actual.To(ScalarType.Float64);
        var values = d.ToArray<double>();
        Assert.True(expected.Length == values.Length, $"{what}: expected {expected.Length} values, got {values.Length}");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < values.Length; i++)
        {
            double diff = Math.Abs(expected[i] - values[i]);
            if (double.IsNaN(diff) || diff > worst)
            {
                worst = double.IsNaN(diff) ? double.PositiveInfinity : diff;
                at = i;
            }
        }

        Assert.True(worst <= atol, $"{what}: max |Δ| = {worst:G4} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? values[at] : 0)}), tolerance {atol:G3}");
    }

    public static void Equal(double[] expected, Tensor actual, string? what = null) => Close(expected, actual, 0, what);
}
