using StyleBridge.Torch.NN;

namespace StyleBridge.Torch.Tests;

public class ModuleTests
{
    private sealed class Block : Module
    {
        public Block()
        {
            Fc = RegisterModule("fc", new Linear(3, 2));
            Norm = RegisterModule("ln", new LayerNorm(2));
            RegisterBuffer("kernel", LibTorch.Ones([2, 2]));
            RegisterBuffer("scratch", LibTorch.Zeros([1]), persistent: false);
        }

        public Linear Fc { get; }
        public LayerNorm Norm { get; }
    }

    private sealed class Net : Module
    {
        public Net()
        {
            Scale = RegisterParameter("scale", LibTorch.Ones([1]));
            Blocks = RegisterModule("blocks", new ModuleList<Block>([new Block(), new Block()]));
        }

        public Tensor Scale { get; }
        public ModuleList<Block> Blocks { get; }
    }

    [Fact]
    public void StateDictUsesDottedNamesInPyTorchOrder()
    {
        using var net = new Net();
        var keys = net.StateDict().Select(kv => kv.Key).ToArray();
        Assert.Equal(
            ["scale", "blocks.0.kernel", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.0.ln.weight", "blocks.0.ln.bias",
             "blocks.1.kernel", "blocks.1.fc.weight", "blocks.1.fc.bias", "blocks.1.ln.weight", "blocks.1.ln.bias"],
            keys);
        Assert.Equal(1 + 2 * (6 + 2 + 2 + 2), net.ParameterCount());
    }

    [Fact]
    public void StrictLoadListsEveryProblemAtOnce()
    {
        using var net = new Net();
        using var scope = TensorScope.Begin();
        var source = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        source.Remove("blocks.1.ln.bias");
        source["blocks.0.fc.weight"] = LibTorch.Zeros([3, 3]);
        source["extra.thing"] = LibTorch.Zeros([1]);
        var e = Assert.Throws<StateDictMismatchException>(() => net.LoadStateDict(source));
        Assert.Equal(["blocks.1.ln.bias"], e.MissingKeys);
        Assert.Equal(["extra.thing"], e.UnexpectedKeys);
        Assert.Single(e.ShapeMismatches);
        Assert.Contains("blocks.0.fc.weight", e.Message);

        source["blocks.0.fc.weight"] = LibTorch.Full([2, 3], 0.5);
        var result = net.LoadStateDict(source, strict: false);
        Assert.Equal(["blocks.1.ln.bias"], result.MissingKeys);
        Assert.Equal(new float[] { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f }, net.Blocks[0].Fc.Weight.ToArray<float>());
        source.Remove("extra.thing");
        source["blocks.1.ln.bias"] = LibTorch.Full([2], 3);
        net.LoadStateDict(source);
        Assert.Equal(new float[] { 3, 3 }, net.Blocks[1].Norm.Bias.ToArray<float>());
    }

    [Fact]
    public void ToConvertsInPlaceKeepingHandles()
    {
        using var net = new Net();
        var weight = net.Blocks[0].Fc.Weight;
        net.To(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, weight.Dtype);
        Assert.Same(weight, net.Blocks[0].Fc.Weight);
        Assert.True(weight.RequiresGrad);
        net.RequiresGrad_(false);
        Assert.False(weight.RequiresGrad);
        Assert.False(net.Eval().Training);
        Assert.False(net.Blocks[1].Training);
    }

    [Fact]
    public void DisposeFreesEveryTensor()
    {
        long before = TorchDiagnostics.LiveTensors;
        var net = new Net();
        Assert.True(TorchDiagnostics.LiveTensors > before);
        net.Dispose();
        Assert.Equal(before, TorchDiagnostics.LiveTensors);
    }
}
