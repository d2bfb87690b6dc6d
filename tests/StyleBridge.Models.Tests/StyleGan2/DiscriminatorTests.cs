using StyleBridge.Models.StyleGan2;
using StyleBridge.Models.StyleGan2.Ops;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>rosinality's residual discriminator: names, shapes, the blocks against their definitions, input checks.</summary>
public class DiscriminatorTests
{
    private static readonly Dictionary<int, int> Tiny = new() { [4] = 12, [8] = 10, [16] = 8 };

    private static Discriminator Make(int seed = 0)
    {
        manual_seed(seed);
        return new Discriminator(16, Tiny);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Forward_GivesOneLogitPerImage(int n)
    {
        using var d = Make();
        using var scope = NewDisposeScope();
        var logits = d.Forward(Tensors.Randn([n, 3, 16, 16], new RandomGenerator(1)));
        Assert.Equal(new long[] { n, 1 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void StateDict_HasRosinalitysNamesAndShapes_InItsOrder()
    {
        using var d = Make();
        var entries = StateDicts.Of(d).Select(e => (e.Key, Shape: TensorBytes.Format(e.Value.shape))).ToList();
        (string, string)[] block(int i, int cin, int cout) =>
        [
            ($"convs.{i}.conv1.0.weight", $"[{cin}, {cin}, 3, 3]"),
            ($"convs.{i}.conv1.1.bias", $"[{cin}]"),
            ($"convs.{i}.conv2.0.kernel", "[4, 4]"),
            ($"convs.{i}.conv2.1.weight", $"[{cout}, {cin}, 3, 3]"),
            ($"convs.{i}.conv2.2.bias", $"[{cout}]"),
            ($"convs.{i}.skip.0.kernel", "[4, 4]"),
            ($"convs.{i}.skip.1.weight", $"[{cout}, {cin}, 1, 1]"),
        ];
        (string, string)[] expected =
        [
            ("convs.0.0.weight", "[8, 3, 1, 1]"),
            ("convs.0.1.bias", "[8]"),
            .. block(1, 8, 10),
            .. block(2, 10, 12),
            ("final_conv.0.weight", "[12, 13, 3, 3]"),
            ("final_conv.1.bias", "[12]"),
            ("final_linear.0.weight", "[12, 192]"),
            ("final_linear.0.bias", "[12]"),
            ("final_linear.1.weight", "[1, 12]"),
            ("final_linear.1.bias", "[1]"),
        ];
        Assert.Equal(expected, entries);

        // the blur kernels are buffers, everything else is trained
        var parameters = d.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Equal(expected.Select(e => e.Item1).Where(k => !k.EndsWith(".kernel", StringComparison.Ordinal)).ToHashSet(), parameters);
    }

    [Fact]
    public void RosinalitySizedTable_BuildsAndLoadsItsOwnStateDict()
    {
        var channels = StyleGan2Config.RosinalityChannels(64, 1).ToDictionary(kv => kv.Key, kv => kv.Value / 16);
        using var a = new Discriminator(64, channels);
        using var b = new Discriminator(64, channels);
        StateDicts.LoadInto(b, a.state_dict());
        using var scope = NewDisposeScope();
        var x = Tensors.Randn([4, 3, 64, 64], new RandomGenerator(3));
        Assert.True(a.Forward(x).Equal(b.Forward(x)));
        Assert.Equal(4, a.Blocks.Count);
    }

    [Fact]
    public void ConvLayer_Downsampling_IsBlurThenStride2Conv()
    {
        manual_seed(5);
        using var layer3 = new ConvLayer(4, 6, 3, downsample: true);
        using var layer1 = new ConvLayer(4, 6, 1, downsample: true, bias: false, activate: false);
        using var scope = NewDisposeScope();
        var x = Tensors.Randn([2, 4, 8, 8], new RandomGenerator(6));
        Assert.Equal((2, 2), layer3.Blur!.Pad);
        Assert.Equal((1, 1), layer1.Blur!.Pad);

        // rosinality: upfirdn2d(x, k, pad) → conv2d(·, W/√(in·k²), stride 2) → leaky_relu(· + b, 0.2)·√2
        using (no_grad())
            layer3.Activation!.Bias.copy_(Tensors.Randn([6], new RandomGenerator(7)));
        var blurred3 = Upfirdn2d.Apply(x, layer3.Blur.Kernel, pad: (2, 2));
        var conv3 = Functional.Conv2d(blurred3, layer3.Conv.Weight.mul(1 / Math.Sqrt(4 * 9)), null, 2, 0);
        var expected3 = FusedLeakyRelu.Apply(conv3, layer3.Activation.Bias);
        var actual3 = layer3.Forward(x);
        Assert.Equal(new long[] { 2, 6, 4, 4 }, actual3.shape);
        TensorDiff.Close(actual3, expected3, 1e-5, "3x3 downsampling ConvLayer");

        var blurred1 = Upfirdn2d.Apply(x, layer1.Blur.Kernel, pad: (1, 1));
        var expected1 = Functional.Conv2d(blurred1, layer1.Conv.Weight.mul(0.5), null, 2, 0);
        var actual1 = layer1.Forward(x);
        Assert.Equal(new long[] { 2, 6, 4, 4 }, actual1.shape);
        TensorDiff.Close(actual1, expected1, 1e-5, "1x1 skip ConvLayer");
        Assert.Null(layer1.Conv.Bias);
    }

    [Fact]
    public void Forward_MatchesAStepByStepReference()
    {
        using var d = Make(9);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var p in d.parameters().Where(p => p.dim() == 1))
                p.copy_(Tensors.Randn(p.shape, new RandomGenerator(10)).mul(0.1));
        var images = Tensors.Randn([8, 3, 16, 16], new RandomGenerator(11));

        Tensor Conv(ConvLayer layer, Tensor x)
        {
            if (layer.Blur is not null)
                x = Upfirdn2d.Apply(x, layer.Blur.Kernel, pad: layer.Blur.Pad);
            var c = layer.Conv;
            x = Functional.Conv2d(x, c.Weight.mul(1 / Math.Sqrt(c.InChannel * c.KernelSize * c.KernelSize)), c.Bias, c.Stride, c.Padding);
            return layer.Activation is null ? x : x.add(layer.Activation.Bias.view(1, -1, 1, 1)).leaky_relu(0.2).mul(Math.Sqrt(2));
        }

        var h = Conv(d.FromRgb, images);
        foreach (var block in d.Blocks)
            h = Conv(block.Conv2, Conv(block.Conv1, h)).add(Conv(block.Skip, h)).div(Math.Sqrt(2));

        // minibatch stddev, group 4: sample i is in group column i % 2
        long n = 8, c4 = 12;
        var columns = new List<Tensor>();
        for (long j = 0; j < 2; j++)
        {
            var members = stack([h[j], h[j + 2], h[j + 4], h[j + 6]], 0);
            var sd = members.sub(members.mean([0], keepdim: true)).square().mean([0]).add(1e-8).sqrt().mean();
            columns.Add(sd);
        }

        var feature = stack(Enumerable.Range(0, (int)n).Select(i => columns[i % 2]).ToArray(), 0).view(n, 1, 1, 1).expand(n, 1, 4, 4);
        h = Conv(d.FinalConv, cat([h, feature], 1)).reshape(n, c4 * 16);
        var l0 = d.FinalLinear[0];
        h = Functional.Linear(h, l0.Weight.mul(1 / Math.Sqrt(c4 * 16))).add(l0.Bias).leaky_relu(0.2).mul(Math.Sqrt(2));
        var l1 = d.FinalLinear[1];
        var expected = Functional.Linear(h, l1.Weight.mul(1 / Math.Sqrt(c4)), l1.Bias);

        TensorDiff.Close(d.Forward(images), expected, 1e-4, "discriminator logits");
    }

    [Fact]
    public void R1_DoubleBackward_ReachesEveryParameter()
    {
        using var d = Make(12);
        using var scope = NewDisposeScope();
        var x = Tensors.Randn([4, 3, 16, 16], new RandomGenerator(13)).requires_grad_(true);
        var pred = d.Forward(x);
        var grad = autograd.grad([pred.sum()], [x], retain_graph: true, create_graph: true)[0];
        var penalty = grad.square().reshape(4, -1).sum(1).mean().add(pred[0, 0].mul(0));
        penalty.backward();
        foreach (var (name, p) in d.named_parameters())
        {
            var g = p.grad;
            Assert.True(g is not null, $"{name} has no gradient");
            Assert.True(g!.isfinite().all().item<bool>(), $"{name} has a non-finite gradient");
        }

        Assert.True(d.FromRgb.Conv.Weight.grad!.abs().sum().item<float>() > 0);
    }

    public static TheoryData<long[], ScalarType> BadInputs => new()
    {
        { new long[] { 3, 16, 16 }, ScalarType.Float32 },
        { new long[] { 2, 1, 16, 16 }, ScalarType.Float32 },
        { new long[] { 2, 4, 16, 16 }, ScalarType.Float32 },
        { new long[] { 2, 3, 8, 8 }, ScalarType.Float32 },
        { new long[] { 2, 3, 16, 32 }, ScalarType.Float32 },
        { new long[] { 0, 3, 16, 16 }, ScalarType.Float32 },
        { new long[] { 2, 3, 16, 16 }, ScalarType.Int64 },
        { new long[] { 2, 3, 16, 16 }, ScalarType.Byte },
        { new long[] { 6, 3, 16, 16 }, ScalarType.Float32 }, // not a multiple of the stddev group (4)
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Forward_RejectsBadInputs_WithArgumentException(long[] shape, ScalarType dtype)
    {
        using var d = Make();
        using var x = zeros(shape, dtype);
        var error = Assert.Throws<ArgumentException>(() => d.Forward(x));
        Assert.Equal("images", error.ParamName);
    }

    [Fact]
    public void Constructor_RejectsBadSizesAndTables()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Discriminator(12, Tiny));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Discriminator(2, Tiny));
        Assert.Throws<ArgumentException>(() => new Discriminator(32, Tiny));
    }
}
