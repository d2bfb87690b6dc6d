namespace StyleBridge.Torch.Tests.TestSupport;

public static class TensorAssert
{
    /// <summary>Every element of <paramref name="actual"/> (read as float64, C order) within <paramref name="atol"/> of <paramref name="expected"/>.</summary>
    public static void Close(double[] expected, Tensor actual, double atol, string? what = null)
    {
        using var d = actual.to(ScalarType.Float64).contiguous();
        var values = d.data<double>().ToArray();
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

    /// <summary>Same dtype, same shape and the same bits (also checks <c>torch.equal</c>, TorchSharp's <c>Equals(Tensor)</c>).</summary>
    public static void BitEqual(Tensor expected, Tensor actual, string name)
    {
        Assert.True(expected.dtype == actual.dtype, $"{name}: dtype {actual.dtype}, expected {expected.dtype}");
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{name}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        Assert.True(TensorBytes.ToBytes(expected).AsSpan().SequenceEqual(TensorBytes.ToBytes(actual)), $"{name}: bits differ");
        using var cpuExpected = expected.cpu();
        using var cpuActual = actual.cpu();
        Assert.True(cpuExpected.Equals(cpuActual), $"{name}: torch.equal is false");
    }
}
