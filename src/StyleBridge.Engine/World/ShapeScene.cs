namespace StyleBridge.Engine.World;

/// <summary>
/// One image to draw: the five attributes plus the concrete, jittered bounding-box <paramref name="Side"/> and
/// centre (<paramref name="CenterX"/>, <paramref name="CenterY"/>) in continuous pixel coordinates (see
/// <see cref="WorldLayout"/>). For the triangle, <paramref name="Side"/> is the base width; its height is Side·√3/2.
/// </summary>
public sealed record ShapeScene(
    Shape Shape, ShapeColour Colour, ShapeSize Size, ShapePosition Position, Background Background,
    float Side, float CenterX, float CenterY)
{
    public ShapeAttributes Attributes => new(Shape, Colour, Size, Position, Background);

    public static ShapeScene Create(ShapeAttributes attributes, float side, float centerX, float centerY) =>
        new(attributes.Shape, attributes.Colour, attributes.Size, attributes.Position, attributes.Background, side, centerX, centerY);

    /// <summary>The scene without jitter: nominal side and centre.</summary>
    public static ShapeScene Nominal(ShapeAttributes attributes)
    {
        var (x, y) = WorldLayout.NominalCentre(attributes.Position);
        return Create(attributes, WorldLayout.NominalSide(attributes.Size), x, y);
    }
}
