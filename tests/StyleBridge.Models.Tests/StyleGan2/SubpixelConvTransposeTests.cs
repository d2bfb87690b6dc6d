using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch;
using Generator = StyleBridge.Torch.Generator;

namespace StyleBridge.Models.Tests.StyleGan2;

public class SubpixelConvTransposeTests
{
    [Theory]
    [InlineData(1, 1, 5, 3, 7)]
    [InlineData(2, 3, 4, 2, 6)]
    public void EqualsTransposedConvolutionWithABorder(int batch, int groups, int inChannels, int outChannels, int size)
    {
        using var scope = TensorScope.Begin();
        using var rng = new Generator(11);
        var x = LibTorch.Randn([batch, groups * inChannels, size, size + 1], rng, ScalarType.Float64);
        var weight = LibTorch.Randn([groups * outChannels, inChannels, 3, 3], rng, ScalarType.Float64); // conv layout
        // conv_transpose2d wants [G·C_in, C_out, 3, 3]
        var transposed = weight.View(groups, outChannels, inChannels, 3, 3).Transpose(1, 2).Reshape(groups * inChannels, outChannels, 3, 3);
        var expected = Functional.Pad(Functional.ConvTranspose2d(x, transposed, null, 2, 0, 0, groups), [1, 1, 1, 1]);

        var actual = SubpixelConvTranspose.Stride2WithBorder(x, weight, groups);

        Assert.Equal(expected.Shape, actual.Shape);
        double diff = (actual - expected).Abs().Max().Item<double>();
        Assert.True(diff < 1e-12, $"max |Δ| {diff}");
    }

    [Fact]
    public void RejectsOtherKernelSizes()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<ArgumentException>(() => SubpixelConvTranspose.Stride2WithBorder(LibTorch.Ones([1, 2, 4, 4]), LibTorch.Ones([2, 2, 5, 5])));
    }
}
