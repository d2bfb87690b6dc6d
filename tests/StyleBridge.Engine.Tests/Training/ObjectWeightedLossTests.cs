using StyleBridge.Engine.Training;
using StyleBridge.Engine.World;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.Training;

/// <summary>
/// The distillation's object-weighted pixel loss: the object found on real renders, the plain mean at weight 1; and
/// the shape-deciding pixels, where a scene's render differs from the same scene with another shape.
/// </summary>
public sealed class ObjectWeightedLossTests
{
    [Fact]
    public void The_object_and_its_ring_are_weighted_and_the_background_is_not()
    {
        using var scope = NewDisposeScope();
        var scenes = new ShapeSampler(11).SampleBatch(6);
        var renders = ShapeSampler.Render(scenes);
        var weights = SceneDistillationTrainer.ObjectWeights(renders, 5);
        Assert.Equal(new long[] { 6, 1, 64, 64 }, weights.shape);
        for (int i = 0; i < scenes.Count(); i++)
        {
            // the object's own pixels: where the render differs from its flat background colour
            var background = renders[i, .., 0, 0].unsqueeze(-1).unsqueeze(-1);
            var inside = renders[i].sub(background).abs().amax([0L]).gt(0.1);
            var w = weights[i, 0];
            Assert.True(w.masked_select(inside).eq(5).all().item<bool>(), $"scene {i}: an object pixel is not weighted");
            long weighted = w.eq(5).sum().item<long>();
            long objectPixels = inside.sum().item<long>();
            Assert.True(weighted > objectPixels, $"scene {i}: no ring around the object");
            Assert.True(weighted < 64 * 64 / 2, $"scene {i}: {weighted} weighted pixels is not an object");
            Assert.True(w.eq(1).sum().item<long>() == 64 * 64 - weighted, $"scene {i}: weights other than 1 and 5");
        }
    }

    [Fact]
    public void Weight_one_is_the_plain_mean_and_more_weight_moves_the_loss_toward_the_object()
    {
        using var scope = NewDisposeScope();
        var renders = ShapeSampler.Render(new ShapeSampler(12).SampleBatch(4));
        var images = renders.add(randn_like(renders).mul(0.05));
        Assert.True(SceneDistillationTrainer.PixelLossOf(images, renders, "l1", 1).allclose(nn.functional.l1_loss(images, renders)));

        // an error on the background alone: more object weight shrinks it, the same error on the object grows it
        var objectMask = SceneDistillationTrainer.ObjectWeights(renders, 2).sub(1);
        var offObject = renders.add(objectMask.neg().add(1).mul(0.2));
        var onObject = renders.add(objectMask.mul(0.2));
        double plainOff = SceneDistillationTrainer.PixelLossOf(offObject, renders, "mse", 1).item<float>();
        double weightedOff = SceneDistillationTrainer.PixelLossOf(offObject, renders, "mse", 8).item<float>();
        double plainOn = SceneDistillationTrainer.PixelLossOf(onObject, renders, "mse", 1).item<float>();
        double weightedOn = SceneDistillationTrainer.PixelLossOf(onObject, renders, "mse", 8).item<float>();
        Assert.True(weightedOff < plainOff / 2, $"{weightedOff} against {plainOff}");
        Assert.True(weightedOn > plainOn * 2, $"{weightedOn} against {plainOn}");
        Assert.Throws<ArgumentException>(() => new SceneDistillationOptions { ObjectWeight = 0.5 }.Validate());
    }

    [Fact]
    public void The_pixels_that_decide_a_shape_are_a_square_s_corners_beyond_its_circle()
    {
        using var scope = NewDisposeScope();
        var squares = new ShapeSampler(13).SampleBatch(64).Where(s => s.Shape == Shape.Square).Take(4).ToArray();
        Assert.NotEmpty(squares);
        var renders = ShapeSampler.Render(squares);
        var deciding = SceneDistillationTrainer.ShapeDecidingPixels(squares, renders);
        Assert.Equal(new long[] { squares.Length, 1, 64, 64 }, deciding.shape);
        var circles = ShapeSampler.Render([.. squares.Select(s => s with { Shape = Shape.Circle })]);
        var triangles = ShapeSampler.Render([.. squares.Select(s => s with { Shape = Shape.Triangle })]);
        for (int i = 0; i < squares.Length; i++)
        {
            var d = deciding[i, 0].gt(0.5);
            var offCircle = renders[i].sub(circles[i]).abs().amax([0L]).gt(0.1);
            var offTriangle = renders[i].sub(triangles[i]).abs().amax([0L]).gt(0.1);
            Assert.True(d.eq(offCircle.logical_or(offTriangle)).all().item<bool>(), $"square {i}: not the union of the differences");
            long square = renders[i].sub(renders[i, .., 0, 0].unsqueeze(-1).unsqueeze(-1)).abs().amax([0L]).gt(0.1).sum().item<long>();
            long corners = offCircle.sum().item<long>();
            // a circle inscribed in a square leaves 1 - π/4 ≈ 21 % of it, antialiasing aside
            Assert.InRange(corners / (double)square, 0.1, 0.4);
            Assert.True(d.sum().item<long>() < square, $"square {i}: deciding pixels outnumber the square's own");
        }

        // an error on the deciding pixels weighs more with a shape weight; elsewhere it weighs less
        var onDeciding = renders.add(deciding.mul(0.2));
        var offDeciding = renders.add(deciding.neg().add(1).mul(0.2));
        double plainOn = SceneDistillationTrainer.PixelLossOf(onDeciding, renders, "l1", 4).item<float>();
        double weightedOn = SceneDistillationTrainer.PixelLossOf(onDeciding, renders, "l1", 4, deciding, 8).item<float>();
        double plainOff = SceneDistillationTrainer.PixelLossOf(offDeciding, renders, "l1", 4).item<float>();
        double weightedOff = SceneDistillationTrainer.PixelLossOf(offDeciding, renders, "l1", 4, deciding, 8).item<float>();
        Assert.True(weightedOn > plainOn * 2, $"{weightedOn} against {plainOn}");
        Assert.True(weightedOff < plainOff, $"{weightedOff} against {plainOff}");
        Assert.True(SceneDistillationTrainer.PixelLossOf(onDeciding, renders, "l1", 4, deciding, 1).allclose(SceneDistillationTrainer.PixelLossOf(onDeciding, renders, "l1", 4)));
        Assert.Throws<ArgumentException>(() => SceneDistillationTrainer.PixelLossOf(onDeciding, renders, "l1", 4, deciding[.., .., ..32], 8));
        Assert.Throws<ArgumentException>(() => new SceneDistillationOptions { ShapeWeight = 0 }.Validate());
    }
}
