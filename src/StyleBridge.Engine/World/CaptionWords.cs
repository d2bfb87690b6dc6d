namespace StyleBridge.Engine.World;

/// <summary>
/// Every word and phrase the caption grammar uses. The first entry of each list is the canonical one (the spec's
/// word), the rest are synonyms. Attribute words are disjoint across attributes, so a caption can be parsed back
/// word by word (<see cref="CaptionParser"/>).
/// </summary>
public static class CaptionWords
{
    public static IReadOnlyList<string> ShapeNouns(Shape shape) => shape switch
    {
        Shape.Circle => ["circle", "disc"],
        Shape.Square => ["square"],
        Shape.Triangle => ["triangle"],
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    public static IReadOnlyList<string> ColourWords(ShapeColour colour) => [AttributeNames.Of(colour)];

    public static IReadOnlyList<string> SizeWords(ShapeSize size) => size switch
    {
        ShapeSize.Small => ["small", "little"],
        ShapeSize.Large => ["large", "big"],
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, null),
    };

    public static IReadOnlyList<string> BackgroundWords(Background background) => background switch
    {
        Background.Black => ["black"],
        Background.White => ["white"],
        Background.Gray => ["gray", "grey"],
        _ => throw new ArgumentOutOfRangeException(nameof(background), background, null),
    };

    /// <summary>The spec's position phrases, both of each pair (first: the one that follows a noun phrase).</summary>
    public static IReadOnlyList<string> PositionPhrases(ShapePosition position) => position switch
    {
        ShapePosition.Center => ["in the center", "in the middle"],
        ShapePosition.Left => ["on the left", "left side"],
        ShapePosition.Right => ["on the right", "right side"],
        ShapePosition.Top => ["at the top", "top"],
        ShapePosition.Bottom => ["at the bottom", "bottom"],
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, null),
    };

    /// <summary>The position phrases that read as a prepositional phrase after a noun ("a circle on the left").</summary>
    public static IReadOnlyList<string> PrepositionalPositionPhrases(ShapePosition position) =>
        position == ShapePosition.Center ? PositionPhrases(position) : [PositionPhrases(position)[0]];

    /// <summary>The word in each position phrase that carries its value.</summary>
    public static IReadOnlyList<string> PositionWords(ShapePosition position) => position switch
    {
        ShapePosition.Center => ["center", "middle"],
        _ => [AttributeNames.Of(position)],
    };

    /// <summary>Nouns for an object whose shape the caption does not name.</summary>
    public static IReadOnlyList<string> GenericNouns { get; } = ["shape", "object"];

    /// <summary>"something", followed by its adjectives ("something blue", "something large and red").</summary>
    public const string Something = "something";

    /// <summary>Words that name no attribute.</summary>
    public static IReadOnlyList<string> FunctionWords { get; } =
        ["a", "an", "the", "on", "in", "at", "with", "and", "against", "side", "background", Something, .. GenericNouns];

    /// <summary>Every word any caption may contain.</summary>
    public static IReadOnlyList<string> AllWords { get; } =
    [
        .. Enum.GetValues<Shape>().SelectMany(ShapeNouns),
        .. Enum.GetValues<ShapeColour>().SelectMany(ColourWords),
        .. Enum.GetValues<ShapeSize>().SelectMany(SizeWords),
        .. Enum.GetValues<ShapePosition>().SelectMany(PositionWords),
        .. Enum.GetValues<Background>().SelectMany(BackgroundWords),
        .. FunctionWords,
    ];
}
