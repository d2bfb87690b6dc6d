using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

[Collection(NativeStateCollection.Name)]
public class RandomTests
{
    [Fact]
    public void SeededDrawsMatchPythonTorch()
    {
        using var scope = TensorScope.Begin();
        using var gen = new Generator(1234);
        var randn = LibTorch.Randn([3, 5], gen);
        var rand = LibTorch.Rand([7], gen);
        var randint = LibTorch.Randint(0, 100, [6], gen);
        var randn64 = LibTorch.Randn([4], gen, ScalarType.Float64);
        LibTorch.ManualSeed(42);
        var global = LibTorch.Randn([17]);
        var py = PythonTorch.RunForArrays(PythonTorch.Prelude + """
g = torch.Generator().manual_seed(1234)
put('randn', torch.randn(3, 5, generator=g))
put('rand', torch.rand(7, generator=g))
put('randint', torch.randint(0, 100, (6,), generator=g))
put('randn64', torch.randn(4, generator=g, dtype=torch.float64))
torch.manual_seed(42)
put('global', torch.randn(17))
""" + PythonTorch.Epilogue);
        TensorAssert.Equal(py["randn"], randn, "randn");
        TensorAssert.Equal(py["rand"], rand, "rand");
        TensorAssert.Equal(py["randint"], randint, "randint");
        TensorAssert.Equal(py["randn64"], randn64, "randn float64");
        TensorAssert.Equal(py["global"], global, "global randn");
    }

    [Fact]
    public void ReseedingRepeatsTheStream()
    {
        using var scope = TensorScope.Begin();
        using var gen = new Generator(5);
        var a = LibTorch.Randn([10], gen);
        gen.ManualSeed(5);
        var b = LibTorch.Randn([10], gen);
        Assert.True(a.Equal(b));
        Assert.False(a.Equal(LibTorch.Randn([10], gen)));
    }
}
