using StyleBridge.Engine.World;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.World;

public sealed class SceneCodeTests
{
    [Fact]
    public void EncodedScenes_DecodeToThemselves()
    {
        var scenes = new ShapeSampler(11).SampleBatch(300);
        using var rng = new TorchSharp.torch.Generator(5);
        using var z = SceneCode.Encode(scenes, 128, rng);
        Assert.Equal([300L, 128], z.shape);
        var decoded = SceneCode.Decode(z);
        for (int i = 0; i < scenes.Length; i++)
        {
            Assert.Equal(scenes[i].Attributes, decoded[i].Attributes);
            Assert.Equal(scenes[i].Side, decoded[i].Side, 2e-3);
            Assert.Equal(scenes[i].CenterX, decoded[i].CenterX, 2e-3);
            Assert.Equal(scenes[i].CenterY, decoded[i].CenterY, 2e-3);
        }
    }

    /// <summary>Under z ~ N(0, I) every value of every attribute comes up in its uniform share, and the jitter stays in range.</summary>
    [Fact]
    public void NormalCodes_GiveEveryValueItsShare()
    {
        const int n = 30_000;
        using var rng = new TorchSharp.torch.Generator(6);
        ShapeScene[] scenes;
        using (var z = randn([n, 128], generator: rng))
            scenes = SceneCode.Decode(z);
        foreach (var attribute in ShapeAttributes.Attributes)
        {
            int k = ShapeAttributes.ValueCount(attribute);
            var counts = new double[k];
            foreach (var s in scenes)
                counts[s.Attributes.ValueOf(attribute)]++;
            foreach (double c in counts)
                Assert.InRange(c / n, 1.0 / k - 0.015, 1.0 / k + 0.015);
        }

        var offsets = scenes.Select(s => s.CenterX - WorldLayout.NominalCentre(s.Position).X).ToArray();
        Assert.All(offsets, o => Assert.InRange(o, -WorldLayout.Jitter, WorldLayout.Jitter));
        Assert.InRange(offsets.Average(), -0.05, 0.05);
        Assert.InRange(offsets.Count(o => o > WorldLayout.Jitter / 2) / (double)n, 0.2, 0.3);
    }

    [Fact]
    public void Codes_ThatAreTooShortOrNotFloat_AreRefused()
    {
        using var rng = new TorchSharp.torch.Generator(1);
        Assert.Throws<ArgumentException>(() => SceneCode.Encode(new ShapeSampler(1).SampleBatch(2), SceneCode.Dimensions, rng));
        using var shortCodes = randn(4, SceneCode.Dimensions - 1);
        Assert.Throws<ArgumentException>(() => SceneCode.Decode(shortCodes));
        using var integers = zeros([4, 64], ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => SceneCode.Decode(integers));
    }
}
