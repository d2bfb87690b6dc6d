namespace StyleBridge.Engine.World;

/// <summary>What a caption or prompt says: a value for each attribute it names, null for the ones it leaves open.</summary>
public readonly record struct NamedAttributes(
    Shape? Shape = null, ShapeColour? Colour = null, ShapeSize? Size = null, ShapePosition? Position = null,
    Background? Background = null)
{
    /// <summary>The attributes of <paramref name="attributes"/> selected by <paramref name="mask"/>.</summary>
    public static NamedAttributes Select(ShapeAttributes attributes, AttributeMask mask) => new(
        mask.HasFlag(AttributeMask.Shape) ? attributes.Shape : null,
        mask.HasFlag(AttributeMask.Colour) ? attributes.Colour : null,
        mask.HasFlag(AttributeMask.Size) ? attributes.Size : null,
        mask.HasFlag(AttributeMask.Position) ? attributes.Position : null,
        mask.HasFlag(AttributeMask.Background) ? attributes.Background : null);

    public static NamedAttributes All(ShapeAttributes attributes) => Select(attributes, AttributeMask.All);

    public AttributeMask Mask =>
        (Shape is null ? 0 : AttributeMask.Shape) | (Colour is null ? 0 : AttributeMask.Colour) |
        (Size is null ? 0 : AttributeMask.Size) | (Position is null ? 0 : AttributeMask.Position) |
        (Background is null ? 0 : AttributeMask.Background);

    /// <summary>How many attributes are named (0 to 5).</summary>
    public int Count => System.Numerics.BitOperations.PopCount((uint)Mask);

    /// <summary>Whether every named value agrees with <paramref name="attributes"/>.</summary>
    public bool Matches(ShapeAttributes attributes) =>
        (Shape is null || Shape == attributes.Shape) && (Colour is null || Colour == attributes.Colour) &&
        (Size is null || Size == attributes.Size) && (Position is null || Position == attributes.Position) &&
        (Background is null || Background == attributes.Background);
}
