using StyleBridge.Engine.Evaluation;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.Evaluation;

public sealed class FrechetDistanceTests
{
    [Fact]
    public void IsZeroForOneSetAndTheSquaredShiftForTranslatedCopies()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(21);
        var a = randn([4000, 8], ScalarType.Float64, generator: g);
        Assert.True(Math.Abs(FrechetDistance.Between(a, a)) < 1e-8);
        var shift = tensor(new double[] { 1, 0, 0, 0, 0, 0, 0, 2 });
        Assert.Equal(5.0, FrechetDistance.Between(a, a.add(shift)), 6);
    }

    [Fact]
    public void MatchesTheClosedFormForScaledGaussians()
    {
        // N(0, I) against N(0, 4I) in d dimensions: Tr(I + 4I − 2·2I) = d
        using var scope = NewDisposeScope();
        using var g = new Generator(22);
        var a = randn([20000, 4], ScalarType.Float64, generator: g);
        var b = randn([20000, 4], ScalarType.Float64, generator: g).mul(2);
        Assert.Equal(4.0, FrechetDistance.Between(a, b), 0);
        Assert.InRange(FrechetDistance.Between(a, b), 3.8, 4.2);
    }

    [Fact]
    public void RefusesMismatchedWidths()
    {
        using var a = zeros(10, 3);
        using var b = zeros(10, 4);
        Assert.Throws<ArgumentException>(() => { FrechetDistance.Between(a, b); });
    }
}
