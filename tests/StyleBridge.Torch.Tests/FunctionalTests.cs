namespace StyleBridge.Torch.Tests;

public class FunctionalTests
{
    [Fact]
    public void BaddbmmAddsTheBatchedProduct()
    {
        using var scope = NewDisposeScope();
        var input = arange(30, ScalarType.Float32).reshape(2, 3, 5);
        var batch1 = arange(24, ScalarType.Float32).reshape(2, 3, 4).div(7);
        var batch2 = arange(40, ScalarType.Float32).reshape(2, 4, 5).div(11);
        var expected = input.add(bmm(batch1, batch2));
        var actual = Functional.Baddbmm(input, batch1, batch2);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void ScalarFormsOfConvolutionMatchTheArrayForms()
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(3);
        var x = randn([2, 4, 9, 9], generator: g);
        var w = randn([6, 2, 3, 3], generator: g);
        var b = randn([6], generator: g);
        var expected = nn.functional.conv2d(x, w, b, [2, 2], [1, 1], [1, 1], 2);
        Assert.True(Functional.Conv2d(x, w, b, 2, 1, 1, 2).equal(expected).all().item<bool>());
        var wt = randn([4, 3, 3, 3], generator: g);
        var up = nn.functional.conv_transpose2d(x, wt, null, [2, 2], [1, 1], [1, 1], [1, 1], 1);
        Assert.True(Functional.ConvTranspose2d(x, wt, null, 2, 1, 1).equal(up).all().item<bool>());
    }
}
