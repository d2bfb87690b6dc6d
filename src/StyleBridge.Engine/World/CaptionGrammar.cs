namespace StyleBridge.Engine.World;

/// <summary>
/// Captions for Shapes-world images (spec §2). A caption names a random subset of 1 to 5 attributes (the count
/// uniform, then the subset uniform among those of that count) in one of three forms:
/// <list type="bullet">
/// <item>sentence: "a large red circle on the left on a black background", "something blue on a white background",
/// "a shape at the top", "a small disc against a grey background, in the middle";</item>
/// <item>terse, when an object word and a position or background are named: "red circle, left side",
/// "large green object, black background, top";</item>
/// <item>background first, when the background is named: "a black background with a small cyan square at the top".</item>
/// </list>
/// Held-out pairs: <see cref="ForTraining(ShapeAttributes, WorldRandom)"/> never names both the colour and the shape
/// of a <see cref="HeldOutPairs"/> scene; when the drawn subset has both, it drops one of the two, colour or shape
/// with equal odds (a cyan triangle gets "something cyan ..." or "a triangle ..."). So those scenes get slightly fewer
/// attributes named on average; every other scene is captioned exactly as by <see cref="ForEvaluation"/>.
/// Zero-shot prompts (<see cref="PromptFor(Shape)"/> and overloads) are the canonical one-attribute captions:
/// "a circle", "a red shape", "a small shape", "a shape on the left", "a shape on a black background".
/// </summary>
public static class CaptionGrammar
{
    private static readonly string[] BackgroundPrepositions = ["on", "against"];

    /// <summary>A training caption: a random subset, never naming a held-out (colour, shape) pair.</summary>
    public static Caption ForTraining(ShapeAttributes attributes, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var mask = RandomMask(random);
        const AttributeMask colourAndShape = AttributeMask.Colour | AttributeMask.Shape;
        if (HeldOutPairs.Contains(attributes) && (mask & colourAndShape) == colourAndShape)
            mask &= random.NextBool() ? ~AttributeMask.Colour : ~AttributeMask.Shape;
        return Compose(NamedAttributes.Select(attributes, mask), random);
    }

    /// <summary>An evaluation caption: a random subset, held-out pairs included.</summary>
    public static Caption ForEvaluation(ShapeAttributes attributes, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Compose(NamedAttributes.Select(attributes, RandomMask(random)), random);
    }

    /// <summary>1 to 5 attributes: the count uniform, then a uniform subset of that size.</summary>
    public static AttributeMask RandomMask(WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var order = ShapeAttributes.Attributes.ToArray();
        int count = 1 + random.NextInt(order.Length);
        var mask = AttributeMask.None;
        for (int i = 0; i < count; i++)
        {
            int j = i + random.NextInt(order.Length - i);
            (order[i], order[j]) = (order[j], order[i]);
            mask |= (AttributeMask)(1 << (int)order[i]);
        }
        return mask;
    }

    /// <summary>A random caption naming exactly <paramref name="named"/> (at least one attribute).</summary>
    public static Caption Compose(NamedAttributes named, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new Caption(Write(named, new Choices(random)), named);
    }

    /// <summary>The canonical caption of <paramref name="named"/>: sentence form, the spec's words, position before background.</summary>
    public static Caption Canonical(NamedAttributes named) => new(Write(named, new Choices(null)), named);

    public static string PromptFor(NamedAttributes named) => Canonical(named).Text;
    public static string PromptFor(Shape shape) => PromptFor(new NamedAttributes(Shape: shape));
    public static string PromptFor(ShapeColour colour) => PromptFor(new NamedAttributes(Colour: colour));
    public static string PromptFor(ShapeSize size) => PromptFor(new NamedAttributes(Size: size));
    public static string PromptFor(ShapePosition position) => PromptFor(new NamedAttributes(Position: position));
    public static string PromptFor(Background background) => PromptFor(new NamedAttributes(Background: background));

    /// <summary>
    /// Every distinct canonical caption of every non-empty attribute subset of every scene, in scene then subset order;
    /// without <paramref name="includeHeldOut"/> none names a held-out (colour, shape) pair (the sentences CLIP learnt).
    /// </summary>
    public static IReadOnlyList<string> CanonicalPrompts(bool includeHeldOut = false) =>
    [
        .. (from index in Enumerable.Range(0, ShapeAttributes.Count)
            from mask in Enumerable.Range(1, (int)AttributeMask.All)
            let named = NamedAttributes.Select(ShapeAttributes.FromIndex(index), (AttributeMask)mask)
            where includeHeldOut || !HeldOutPairs.NamedBy(named)
            select PromptFor(named)).Distinct(StringComparer.Ordinal),
    ];

    /// <summary>One zero-shot prompt per value of <paramref name="attribute"/>, in enum order (the class order).</summary>
    public static IReadOnlyList<string> ZeroShotPrompts(WorldAttribute attribute) =>
    [
        .. Enumerable.Range(0, ShapeAttributes.ValueCount(attribute)).Select(value => attribute switch
        {
            WorldAttribute.Shape => PromptFor((Shape)value),
            WorldAttribute.Colour => PromptFor((ShapeColour)value),
            WorldAttribute.Size => PromptFor((ShapeSize)value),
            WorldAttribute.Position => PromptFor((ShapePosition)value),
            _ => PromptFor((Background)value),
        }),
    ];

    private static string Write(NamedAttributes named, Choices choose)
    {
        if (named.Count == 0) throw new ArgumentException("a caption names at least one attribute", nameof(named));
        bool hasObjectWord = named.Shape is not null || named.Colour is not null || named.Size is not null;
        bool hasPlace = named.Position is not null || named.Background is not null;

        var forms = new List<Func<NamedAttributes, Choices, string>> { Sentence };
        if (hasObjectWord && hasPlace) forms.Add(Terse);
        if (named.Background is not null) forms.Add(BackgroundFirst);
        return choose.Pick(forms)(named, choose);
    }

    // "a large red circle on the left on a black background"; with background then position: "..., in the middle".
    private static string Sentence(NamedAttributes named, Choices choose)
    {
        string text = NounPhrase(named, choose);
        string? position = named.Position is { } p ? choose.Pick(CaptionWords.PrepositionalPositionPhrases(p)) : null;
        string? background = named.Background is { } b
            ? $"{choose.Pick(BackgroundPrepositions)} a {choose.Pick(CaptionWords.BackgroundWords(b))} background"
            : null;
        if (position is not null && background is not null && choose.Next(2) == 1) return $"{text} {background}, {position}";
        if (position is not null) text += " " + position;
        if (background is not null) text += " " + background;
        return text;
    }

    // "red circle, left side", "large green object, black background, top"
    private static string Terse(NamedAttributes named, Choices choose)
    {
        var words = Adjectives(named, choose);
        words.Add(named.Shape is { } shape ? choose.Pick(CaptionWords.ShapeNouns(shape)) : choose.Pick(CaptionWords.GenericNouns));
        var parts = new List<string> { string.Join(' ', words) };
        if (named.Position is { } p) parts.Add(choose.Pick(CaptionWords.PositionPhrases(p)));
        if (named.Background is { } b) parts.Add($"{choose.Pick(CaptionWords.BackgroundWords(b))} background");
        if (parts.Count == 3 && choose.Next(2) == 1) (parts[1], parts[2]) = (parts[2], parts[1]);
        return string.Join(", ", parts);
    }

    // "a black background with a small cyan square at the top"
    private static string BackgroundFirst(NamedAttributes named, Choices choose)
    {
        string text = $"a {choose.Pick(CaptionWords.BackgroundWords(named.Background!.Value))} background with {NounPhrase(named, choose)}";
        if (named.Position is { } p) text += " " + choose.Pick(CaptionWords.PrepositionalPositionPhrases(p));
        return text;
    }

    // "a large red circle", "a red shape", "something large and red", "an object", "something"
    private static string NounPhrase(NamedAttributes named, Choices choose)
    {
        var adjectives = Adjectives(named, choose);
        if (named.Shape is { } shape) return WithArticle([.. adjectives, choose.Pick(CaptionWords.ShapeNouns(shape))]);
        if (choose.Next(2) == 1)
        {
            return adjectives.Count == 0 ? CaptionWords.Something : $"{CaptionWords.Something} {string.Join(" and ", adjectives)}";
        }
        return WithArticle([.. adjectives, choose.Pick(CaptionWords.GenericNouns)]);
    }

    // size before colour, as English orders them
    private static List<string> Adjectives(NamedAttributes named, Choices choose)
    {
        var words = new List<string>(2);
        if (named.Size is { } size) words.Add(choose.Pick(CaptionWords.SizeWords(size)));
        if (named.Colour is { } colour) words.Add(choose.Pick(CaptionWords.ColourWords(colour)));
        return words;
    }

    private static string WithArticle(List<string> words) =>
        ("aeiou".Contains(words[0][0]) ? "an " : "a ") + string.Join(' ', words);

    /// <summary>Random choices, or always the first option (for canonical captions).</summary>
    private readonly struct Choices(WorldRandom? random)
    {
        public int Next(int count) => random?.NextInt(count) ?? 0;

        public T Pick<T>(IReadOnlyList<T> options) => options[Next(options.Count)];
    }
}
