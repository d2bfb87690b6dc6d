namespace StyleBridge.Engine.World;

/// <summary>
/// Reads back which attributes a grammar caption names, using <see cref="CaptionWords"/>' lists. Strict: a word
/// outside the grammar, or two different values of one attribute, is an error.
/// </summary>
public static class CaptionParser
{
    private static readonly Dictionary<string, (WorldAttribute Attribute, int Value)> AttributeWords = BuildAttributeWords();
    private static readonly HashSet<string> FunctionWords = [.. CaptionWords.FunctionWords];

    public static NamedAttributes Parse(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        var values = new int?[ShapeAttributes.Attributes.Count];
        foreach (string word in Words(caption))
        {
            if (AttributeWords.TryGetValue(word, out var hit))
            {
                int slot = (int)hit.Attribute;
                if (values[slot] is { } previous && previous != hit.Value)
                    throw new FormatException($"\"{caption}\" names two values of {AttributeNames.Of(hit.Attribute)}");
                values[slot] = hit.Value;
            }
            else if (!FunctionWords.Contains(word))
            {
                throw new FormatException($"\"{caption}\" contains \"{word}\", which is not in the caption grammar");
            }
        }
        return new NamedAttributes(
            (Shape?)values[(int)WorldAttribute.Shape], (ShapeColour?)values[(int)WorldAttribute.Colour],
            (ShapeSize?)values[(int)WorldAttribute.Size], (ShapePosition?)values[(int)WorldAttribute.Position],
            (Background?)values[(int)WorldAttribute.Background]);
    }

    /// <summary>The caption's words: lower case, split at anything that is not a letter.</summary>
    public static IEnumerable<string> Words(string caption) =>
        caption.ToLowerInvariant().SplitWhere(static c => !char.IsAsciiLetterLower(c));

    private static IEnumerable<string> SplitWhere(this string text, Func<char, bool> isSeparator)
    {
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && !isSeparator(text[i])) continue;
            if (i > start) yield return text[start..i];
            start = i + 1;
        }
    }

    private static Dictionary<string, (WorldAttribute, int)> BuildAttributeWords()
    {
        var map = new Dictionary<string, (WorldAttribute, int)>(StringComparer.Ordinal);
        void Add(WorldAttribute attribute, int value, IEnumerable<string> words)
        {
            foreach (string word in words)
            {
                if (!map.TryAdd(word, (attribute, value)))
                    throw new InvalidOperationException($"caption word \"{word}\" names two attribute values");
            }
        }
        foreach (var v in Enum.GetValues<Shape>()) Add(WorldAttribute.Shape, (int)v, CaptionWords.ShapeNouns(v));
        foreach (var v in Enum.GetValues<ShapeColour>()) Add(WorldAttribute.Colour, (int)v, CaptionWords.ColourWords(v));
        foreach (var v in Enum.GetValues<ShapeSize>()) Add(WorldAttribute.Size, (int)v, CaptionWords.SizeWords(v));
        foreach (var v in Enum.GetValues<ShapePosition>()) Add(WorldAttribute.Position, (int)v, CaptionWords.PositionWords(v));
        foreach (var v in Enum.GetValues<Background>()) Add(WorldAttribute.Background, (int)v, CaptionWords.BackgroundWords(v));
        return map;
    }
}
