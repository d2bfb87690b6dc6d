namespace StyleBridge.Engine.World;

/// <summary>
/// One of the 540 attribute combinations. <see cref="Index"/> is mixed-radix in the order shape, colour, size,
/// position, background (background varies fastest).
/// </summary>
public readonly record struct ShapeAttributes(
    Shape Shape, ShapeColour Colour, ShapeSize Size, ShapePosition Position, Background Background)
{
    public static readonly int ShapeCount = Enum.GetValues<Shape>().Length;
    public static readonly int ColourCount = Enum.GetValues<ShapeColour>().Length;
    public static readonly int SizeCount = Enum.GetValues<ShapeSize>().Length;
    public static readonly int PositionCount = Enum.GetValues<ShapePosition>().Length;
    public static readonly int BackgroundCount = Enum.GetValues<Background>().Length;

    /// <summary>3 × 6 × 2 × 5 × 3 = 540.</summary>
    public static readonly int Count = ShapeCount * ColourCount * SizeCount * PositionCount * BackgroundCount;

    /// <summary>Number of values of <paramref name="attribute"/>.</summary>
    public static int ValueCount(WorldAttribute attribute) => attribute switch
    {
        WorldAttribute.Shape => ShapeCount,
        WorldAttribute.Colour => ColourCount,
        WorldAttribute.Size => SizeCount,
        WorldAttribute.Position => PositionCount,
        WorldAttribute.Background => BackgroundCount,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, null),
    };

    public static IReadOnlyList<WorldAttribute> Attributes { get; } = Enum.GetValues<WorldAttribute>();

    public int Index =>
    ((((int)Shape * ColourCount + (int)Colour) * SizeCount + (int)Size) * PositionCount + (int)Position) * BackgroundCount
        + (int)Background;

    public static ShapeAttributes FromIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int background = index % BackgroundCount; index /= BackgroundCount;
        int position = index % PositionCount; index /= PositionCount;
        int size = index % SizeCount; index /= SizeCount;
        int colour = index % ColourCount; index /= ColourCount;
        return new ShapeAttributes((Shape)index, (ShapeColour)colour, (ShapeSize)size, (ShapePosition)position, (Background)background);
    }

    /// <summary>All 540 combinations in <see cref="Index"/> order.</summary>
    public static IEnumerable<ShapeAttributes> All()
    {
        for (int i = 0; i < Count; i++) yield return FromIndex(i);
    }

    /// <summary>The value of <paramref name="attribute"/> as its enum ordinal (the oracle's class label).</summary>
    public int ValueOf(WorldAttribute attribute) => attribute switch
    {
        WorldAttribute.Shape => (int)Shape,
        WorldAttribute.Colour => (int)Colour,
        WorldAttribute.Size => (int)Size,
        WorldAttribute.Position => (int)Position,
        WorldAttribute.Background => (int)Background,
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute, null),
    };

    public override string ToString() =>
        $"{AttributeNames.Of(Size)} {AttributeNames.Of(Colour)} {AttributeNames.Of(Shape)}, " +
        $"{AttributeNames.Of(Position)}, {AttributeNames.Of(Background)} background";
}
