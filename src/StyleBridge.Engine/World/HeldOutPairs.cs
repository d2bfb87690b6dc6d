namespace StyleBridge.Engine.World;

/// <summary>
/// The (colour, shape) pairs no training caption names together (spec §2): their images are drawn and used, but
/// prompts naming both words test whether CLIP composes words it saw only apart.
/// </summary>
public static class HeldOutPairs
{
    public static IReadOnlyList<(ShapeColour Colour, Shape Shape)> Pairs { get; } =
    [
        (ShapeColour.Cyan, Shape.Triangle),
        (ShapeColour.Magenta, Shape.Circle),
        (ShapeColour.Yellow, Shape.Square),
    ];

    public static bool Contains(ShapeColour colour, Shape shape) => Pairs.Contains((colour, shape));

    public static bool Contains(ShapeAttributes attributes) => Contains(attributes.Colour, attributes.Shape);

    /// <summary>Whether <paramref name="named"/> names both the colour and the shape of a held-out pair.</summary>
    public static bool NamedBy(NamedAttributes named) =>
        named.Colour is { } colour && named.Shape is { } shape && Contains(colour, shape);
}
