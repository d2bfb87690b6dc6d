namespace StyleBridge.Engine.World;

/// <summary>The spec's word for every attribute value (lower case), and the way back.</summary>
public static class AttributeNames
{
    public static string Of(Shape shape) => Lower(shape);
    public static string Of(ShapeColour colour) => Lower(colour);
    public static string Of(ShapeSize size) => Lower(size);
    public static string Of(ShapePosition position) => Lower(position);
    public static string Of(Background background) => Lower(background);

    public static string Of(WorldAttribute attribute) => Lower(attribute);

    /// <summary>The word of value number <paramref name="value"/> (enum ordinal) of <paramref name="attribute"/>.</summary>
    public static string Of(WorldAttribute attribute, int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, ShapeAttributes.ValueCount(attribute));
        return attribute switch
        {
            WorldAttribute.Shape => Of((Shape)value),
            WorldAttribute.Colour => Of((ShapeColour)value),
            WorldAttribute.Size => Of((ShapeSize)value),
            WorldAttribute.Position => Of((ShapePosition)value),
            _ => Of((Background)value),
        };
    }

    /// <summary>All words of <paramref name="attribute"/>, in enum order.</summary>
    public static IReadOnlyList<string> ValuesOf(WorldAttribute attribute) =>
        [.. Enumerable.Range(0, ShapeAttributes.ValueCount(attribute)).Select(v => Of(attribute, v))];

    /// <summary>Parses a spec word (case-insensitive) back to its enum value.</summary>
    public static T Parse<T>(string name) where T : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(Lower(value), name.Trim(), StringComparison.OrdinalIgnoreCase)) return value;
        }
        throw new ArgumentException(
            $"'{name}' is not a {typeof(T).Name}; expected one of {string.Join(", ", Enum.GetValues<T>().Select(v => Lower(v)))}", nameof(name));
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
