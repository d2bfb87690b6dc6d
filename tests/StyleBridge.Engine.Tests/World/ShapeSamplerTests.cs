namespace StyleBridge.Engine.Tests.World;

public class ShapeSamplerTests
{
    [Fact]
    public void Attributes_AreRoughlyUniform()
    {
        const int draws = 10000;
        var scenes = new ShapeSampler(3).SampleBatch(draws);
        foreach (var attribute in ShapeAttributes.Attributes)
        {
            int k = ShapeAttributes.ValueCount(attribute);
            var counts = new int[k];
            foreach (var scene in scenes) counts[scene.Attributes.ValueOf(attribute)]++;
            double expected = (double)draws / k;
            double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
            // df = k - 1 ≤ 5: P(χ² > 30) < 2e-5; a broken sampler (one value 20 % off) gives hundreds.
            Assert.True(chiSquare < 30, $"{attribute}: χ² = {chiSquare:F1}, counts {string.Join(", ", counts)}");
        }
    }

    [Fact]
    public void Jitter_IsUniformWithinTwoPixels()
    {
        var scenes = new ShapeSampler(4).SampleBatch(10000);
        var sides = scenes.Select(s => s.Side - WorldLayout.NominalSide(s.Size)).ToList();
        var xs = scenes.Select(s => s.CenterX - WorldLayout.NominalCentre(s.Position).X).ToList();
        var ys = scenes.Select(s => s.CenterY - WorldLayout.NominalCentre(s.Position).Y).ToList();
        foreach (var offsets in new[] { sides, xs, ys })
        {
            Assert.All(offsets, o => Assert.InRange(o, -2f, 2f));
            Assert.InRange(offsets.Min(), -2f, -1.98f);
            Assert.InRange(offsets.Max(), 1.98f, 2f);
            Assert.InRange(offsets.Average(), -0.06, 0.06);
            // uniform on [-2, 2] has variance 4/3
            Assert.InRange(offsets.Average(o => (double)o * o), 1.25, 1.42);
        }
    }

    [Fact]
    public void SameSeed_SameScenesAndCaptions()
    {
        var a = new ShapeSampler(99);
        var b = new ShapeSampler(99);
        var scenesA = a.SampleBatch(50);
        var scenesB = b.SampleBatch(50);
        Assert.Equal(scenesA, scenesB);
        Assert.Equal(a.TrainingCaptions(scenesA), b.TrainingCaptions(scenesB));
        Assert.NotEqual(scenesA, new ShapeSampler(100).SampleBatch(50));
    }

    [Fact]
    public void Captions_DoNotShiftTheSceneStream()
    {
        var withCaptions = new ShapeSampler(5);
        var first = withCaptions.SampleBatch(10);
        withCaptions.TrainingCaptions(first);
        withCaptions.EvaluationCaptions(first);
        var plain = new ShapeSampler(5);
        plain.SampleBatch(10);
        Assert.Equal(plain.SampleBatch(10), withCaptions.SampleBatch(10));
    }

    [Fact]
    public void Render_GivesOneImagePerScene()
    {
        var scenes = new ShapeSampler(6).SampleBatch(3);
        using var images = ShapeSampler.Render(scenes);
        Assert.Equal(new[] { 3L, 3, 64, 64 }, images.shape);
    }
}
