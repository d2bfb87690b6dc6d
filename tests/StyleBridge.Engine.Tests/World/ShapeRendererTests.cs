using System.Security.Cryptography;
using StyleBridge.Imaging;

namespace StyleBridge.Engine.Tests.World;

public class ShapeRendererTests
{
    private static byte[] RenderBytes(ulong seed, int count) =>
        [.. new ShapeSampler(seed).SampleBatch(count).SelectMany(s => ShapeRenderer.Render(s).Pixels)];

    [Fact]
    public void SameSeed_GivesIdenticalBytes_DifferentSeed_DoesNot()
    {
        Assert.Equal(RenderBytes(7, 40), RenderBytes(7, 40));
        Assert.NotEqual(RenderBytes(7, 40), RenderBytes(8, 40));
    }

    [Fact]
    public void NominalSmallSquareInTheCenter_CoversExactlyItsPixels()
    {
        // side 16 centred at (32, 32): [24, 40] × [24, 40], so pixels 24..39 full, 23 and 40 background.
        var scene = ShapeScene.Nominal(new ShapeAttributes(Shape.Square, ShapeColour.Red, ShapeSize.Small, ShapePosition.Center, Background.Black));
        var image = ShapeRenderer.Render(scene);
        var red = WorldPalette.Of(ShapeColour.Red);
        var black = WorldPalette.Of(Background.Black);
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                bool inside = x is >= 24 and < 40 && y is >= 24 and < 40;
                Assert.Equal(inside ? red : black, Pixel(image, x, y));
            }
        }
    }

    [Fact]
    public void PartialCoverage_BlendsBetweenBackgroundAndObject()
    {
        // a half-pixel edge: the square's left edge at x = 24.5 covers half of column 24 (8 of 16 samples).
        var scene = ShapeScene.Create(
            new ShapeAttributes(Shape.Square, ShapeColour.Blue, ShapeSize.Small, ShapePosition.Center, Background.White), 16f, 32.5f, 32f);
        var image = ShapeRenderer.Render(scene);
        Assert.Equal(new Rgb((40 + 235 + 1) / 2, (90 + 235 + 1) / 2, (230 + 235 + 1) / 2), Pixel(image, 24, 32));
        Assert.Equal(WorldPalette.Of(ShapeColour.Blue), Pixel(image, 25, 32));
        Assert.Equal(WorldPalette.Of(Background.White), Pixel(image, 23, 32));
    }

    [Fact]
    public void RandomScenes_MatchTheirGeometry()
    {
        var scenes = new ShapeSampler(11).SampleBatch(600);
        foreach (var scene in scenes)
        {
            var image = ShapeRenderer.Render(scene);
            var background = WorldPalette.Of(scene.Background);
            var colour = WorldPalette.Of(scene.Colour);

            foreach (var (x, y) in new[] { (0, 0), (63, 0), (0, 63), (63, 63) })
                Assert.Equal(background, Pixel(image, x, y));

            var (left, top, right, bottom) = CoverageBox(image, background);
            var expected = ShapeGeometry.Bounds(scene);
            Assert.InRange(left - Math.Max(0, expected.Left), -1, 1);
            Assert.InRange(right + 1 - Math.Min(64, expected.Right), -1, 1);
            Assert.InRange(top - Math.Max(0, expected.Top), -1, 1);
            Assert.InRange(bottom + 1 - Math.Min(64, expected.Bottom), -1, 1);

            int interior = 0;
            for (int y = 0; y < 64; y++)
            {
                for (int x = 0; x < 64; x++)
                {
                    if (!PixelInside(scene, x, y)) continue;
                    interior++;
                    Assert.Equal(colour, Pixel(image, x, y));
                }
            }
            Assert.True(interior > 20, $"{scene}: only {interior} interior pixels");
        }
    }

    [Fact]
    public void Triangle_PointsUp()
    {
        var scenes = new ShapeSampler(12).SampleBatch(400).Where(s => s.Shape == Shape.Triangle).ToList();
        Assert.True(scenes.Count > 100);
        foreach (var scene in scenes)
        {
            var image = ShapeRenderer.Render(scene);
            var background = WorldPalette.Of(scene.Background);
            var (_, top, _, bottom) = CoverageBox(image, background);
            var topRow = CoveredColumns(image, background, top);
            var bottomRow = CoveredColumns(image, background, bottom);
            Assert.InRange(topRow.Count, 1, 3);
            Assert.InRange(topRow.Average() + 0.5 - scene.CenterX, -1.5, 1.5);
            Assert.True(bottomRow.Count >= scene.Side - 4 && bottomRow.Count > 3 * topRow.Count, $"{scene}: base row has {bottomRow.Count} pixels");
            int previous = 0;
            for (int y = top; y <= bottom; y++)
            {
                int width = CoveredColumns(image, background, y).Count;
                Assert.True(width >= previous, $"{scene}: row {y} narrower than the row above");
                previous = width;
            }
        }
    }

    [Fact]
    public void RenderTensor_IsNchwInMinusOneToOne_AndEqualsImageTensors()
    {
        var scenes = new ShapeSampler(13).SampleBatch(5);
        using var fast = ShapeRenderer.RenderTensor(scenes);
        using var reference = ImageTensors.ToTensor(ShapeRenderer.Render(scenes));
        Assert.Equal(new[] { 5L, 3, 64, 64 }, fast.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, fast.dtype);
        Assert.Equal(reference.data<float>().ToArray(), fast.data<float>().ToArray());
        Assert.InRange(fast.min().item<float>(), -1f, 1f);
        Assert.InRange(fast.max().item<float>(), -1f, 1f);

        // channel planes: the first image's red plane at (0, 0) is its background's red, mapped to [-1, 1]
        float expected = WorldPalette.Of(scenes[0].Background).R / 127.5f - 1f;
        Assert.Equal(expected, fast[0, 0, 0, 0].item<float>(), 1e-6f);
    }

    [Fact]
    public void Sampler_IsPinnedAcrossMachines()
    {
        // Pins the PRNG, the sampling order and the renderer: any change to them changes this digest.
        string digest = Convert.ToHexString(SHA256.HashData(RenderBytes(2024, 64)));
        Assert.Equal(PinnedDigest, digest);
    }

    private const string PinnedDigest = "4CF4485287BB0C54D496FB46B1BE65D5810F442501D0BCD5DE8C289A3E9476AE";

    private static Rgb Pixel(RgbImage image, int x, int y)
    {
        var (r, g, b) = image.GetPixel(x, y);
        return new Rgb(r, g, b);
    }

    private static (int Left, int Top, int Right, int Bottom) CoverageBox(RgbImage image, Rgb background)
    {
        int left = 64, top = 64, right = -1, bottom = -1;
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                if (Pixel(image, x, y) == background) continue;
                left = Math.Min(left, x);
                right = Math.Max(right, x);
                top = Math.Min(top, y);
                bottom = Math.Max(bottom, y);
            }
        }
        Assert.True(right >= 0, "no object pixels");
        return (left, top, right, bottom);
    }

    private static List<int> CoveredColumns(RgbImage image, Rgb background, int y) =>
        [.. Enumerable.Range(0, 64).Where(x => Pixel(image, x, y) != background)];

    // Independent of the renderer: whether the whole pixel square lies in the shape (convex shapes: all four corners,
    // and for the circle the farthest corner).
    private static bool PixelInside(ShapeScene scene, int x, int y)
    {
        double half = scene.Side / 2.0;
        (double X, double Y)[] corners = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)];
        return scene.Shape switch
        {
            Shape.Circle => corners.All(c => Math.Pow(c.X - scene.CenterX, 2) + Math.Pow(c.Y - scene.CenterY, 2) <= half * half),
            Shape.Square => corners.All(c => Math.Abs(c.X - scene.CenterX) <= half && Math.Abs(c.Y - scene.CenterY) <= half),
            _ => corners.All(c => InTriangle(scene, c.X, c.Y)),
        };
    }

    private static bool InTriangle(ShapeScene scene, double x, double y)
    {
        double height = scene.Side * Math.Sqrt(3) / 2;
        var apex = (X: scene.CenterX, Y: scene.CenterY - height / 2);
        var baseLeft = (X: scene.CenterX - scene.Side / 2.0, Y: scene.CenterY + height / 2);
        var baseRight = (X: scene.CenterX + scene.Side / 2.0, Y: scene.CenterY + height / 2);
        static double Cross((double X, double Y) a, (double X, double Y) b, double px, double py) =>
            (b.X - a.X) * (py - a.Y) - (b.Y - a.Y) * (px - a.X);
        double d1 = Cross(apex, baseRight, x, y), d2 = Cross(baseRight, baseLeft, x, y), d3 = Cross(baseLeft, apex, x, y);
        return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
    }
}
