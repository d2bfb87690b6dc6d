using StyleBridge.Models.StyleGan2.Ops;

namespace StyleBridge.Models.Tests.StyleGan2;

public class SubpixelConvTransposeTests
{
    [Theory]
    [InlineData(1, 1, 5, 3, 7)]
    [InlineData(2, 3, 4, 2, 6)]
    public void EqualsTransposedConvolutionWithABorder(int batch, int groups, int inChannels, int outChannels, int size)
    {
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator((ulong)11);
        var x = Tensors.Randn(new long[] {batch, groups * inChannels, size, size + 1}, rng, ScalarType.Float64);
        var weight = Tensors.Randn(new long[] {groups * outChannels, inChannels, 3, 3}, rng, ScalarType.Float64); // conv layout
        // conv_transpose2d wants [G·C_in, C_out, 3, 3]
        var transposed = weight.view(groups, outChannels, inChannels, 3, 3).transpose(1, 2).reshape(groups * inChannels, outChannels, 3, 3);
        var expected = Functional.Pad(Functional.ConvTranspose2d(x, transposed, null, 2, 0, 0, groups), [1, 1, 1, 1]);

        var actual = SubpixelConvTranspose.Stride2WithBorder(x, weight, groups);

        Assert.Equal(expected.shape, actual.shape);
        double diff = (actual - expected).abs().max().item<double>();
        Assert.True(diff < 1e-12, $"max |Δ| {diff}");
    }

    [Fact]
    public void RejectsOtherKernelSizes()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => SubpixelConvTranspose.Stride2WithBorder(ones(new long[] { 1, 2, 4, 4 }), ones(new long[] { 2, 2, 5, 5 })));
    }
}
