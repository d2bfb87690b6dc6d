using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests;

/// <summary>
/// Seeded draws through TorchSharp equal PyTorch's for the same seed (python3-torch on the same machine), so noise,
/// latents and truncation samples reproduce a Python run exactly.
/// </summary>
[Collection(NativeStateCollection.Name)]
public class RandomTests
{
    [Fact]
    public void SeededDrawsMatchPythonTorch()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1234);
        var normal = randn([3, 5], generator: gen);
        var uniform = rand([7], generator: gen);
        var integers = randint(0, 100, [6], generator: gen);
        var normal64 = randn([4], dtype: ScalarType.Float64, generator: gen);
        var normalLong = randn([2, 3, 16], generator: gen); // 16+ elements: libtorch's vectorised normal fill
        manual_seed(42);
        var global = randn([17]);
        var py = PythonTorch.RunForArrays(PythonTorch.Prelude + """
g = torch.Generator().manual_seed(1234)
put('randn', torch.randn(3, 5, generator=g))
put('rand', torch.rand(7, generator=g))
put('randint', torch.randint(0, 100, (6,), generator=g))
put('randn64', torch.randn(4, generator=g, dtype=torch.float64))
put('randn_long', torch.randn(2, 3, 16, generator=g))
torch.manual_seed(42)
put('global', torch.randn(17))
""" + PythonTorch.Epilogue);

        Assert.Equal(ScalarType.Int64, integers.dtype);
        Assert.Equal(ScalarType.Float64, normal64.dtype);
        TensorAssert.Equal(py["randn"], normal, "randn");
        TensorAssert.Equal(py["rand"], uniform, "rand");
        TensorAssert.Equal(py["randint"], integers, "randint");
        TensorAssert.Equal(py["randn64"], normal64, "randn float64");
        TensorAssert.Equal(py["randn_long"], normalLong, "randn [2, 3, 16]");
        TensorAssert.Equal(py["global"], global, "global randn");
    }

    [Fact]
    public void ReseedingRepeatsTheStream()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(5);
        var a = randn([10], generator: gen);
        gen.manual_seed(5);
        var b = randn([10], generator: gen);
        var c = randn([10], generator: gen);

        Assert.True(a.Equals(b));
        Assert.False(a.Equals(c));
        Assert.Equal(5L, gen.initial_seed());
    }
}
