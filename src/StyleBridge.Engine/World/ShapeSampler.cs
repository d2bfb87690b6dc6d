using TorchSharp;

namespace StyleBridge.Engine.World;

/// <summary>
/// Seeded scenes and captions. Scenes come from one <see cref="WorldRandom"/> stream and captions from another, both
/// derived from the seed, so the scene sequence does not depend on how many captions are drawn. Each scene draws,
/// in this order: shape, colour, size, position, background (each uniform), then side, centre x and centre y, each
/// uniform within ±<see cref="WorldLayout.Jitter"/> of its nominal value.
/// </summary>
public sealed class ShapeSampler
{
    private const ulong SceneStream = 1;
    private const ulong CaptionStream = 2;

    private readonly WorldRandom _scenes;
    private readonly WorldRandom _captions;

    public ShapeSampler(ulong seed)
    {
        Seed = seed;
        _scenes = WorldRandom.ForStream(seed, SceneStream);
        _captions = WorldRandom.ForStream(seed, CaptionStream);
    }

    public ulong Seed { get; }

    public ShapeScene Next()
    {
        var attributes = new ShapeAttributes(
            _scenes.NextEnum<Shape>(), _scenes.NextEnum<ShapeColour>(), _scenes.NextEnum<ShapeSize>(),
            _scenes.NextEnum<ShapePosition>(), _scenes.NextEnum<Background>());
        return Jitter(attributes, _scenes);
    }

    /// <summary>The scene of <paramref name="attributes"/> with its side and centre jittered by <paramref name="random"/>.</summary>
    public static ShapeScene Jitter(ShapeAttributes attributes, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var (x, y) = WorldLayout.NominalCentre(attributes.Position);
        float side = WorldLayout.NominalSide(attributes.Size) + random.NextUniform(-WorldLayout.Jitter, WorldLayout.Jitter);
        float centerX = x + random.NextUniform(-WorldLayout.Jitter, WorldLayout.Jitter);
        float centerY = y + random.NextUniform(-WorldLayout.Jitter, WorldLayout.Jitter);
        return ShapeScene.Create(attributes, side, centerX, centerY);
    }

    public ShapeScene[] SampleBatch(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var scenes = new ShapeScene[count];
        for (int i = 0; i < count; i++) scenes[i] = Next();
        return scenes;
    }

    /// <summary>One training caption per scene (<see cref="CaptionGrammar.ForTraining"/>), from the caption stream.</summary>
    public Caption[] TrainingCaptions(IReadOnlyList<ShapeScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        return [.. scenes.Select(s => CaptionGrammar.ForTraining(s.Attributes, _captions))];
    }

    /// <summary>One evaluation caption per scene (<see cref="CaptionGrammar.ForEvaluation"/>), from the caption stream.</summary>
    public Caption[] EvaluationCaptions(IReadOnlyList<ShapeScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        return [.. scenes.Select(s => CaptionGrammar.ForEvaluation(s.Attributes, _captions))];
    }

    /// <summary>The scenes as a float32 [N, 3, 64, 64] tensor in [-1, 1] (<see cref="ShapeRenderer.RenderTensor"/>).</summary>
    public static torch.Tensor Render(IReadOnlyList<ShapeScene> scenes, torch.Device? device = null) =>
        ShapeRenderer.RenderTensor(scenes, device);
}
