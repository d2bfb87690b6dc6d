using System.Globalization;
using System.Text;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The reference pre-tokenizer, <c>regex.findall</c> with
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// and IGNORECASE, written as a scanner over code points (so astral letters and digits are classified correctly).
/// At each position the alternatives are tried in order; a position where none matches (white space) is skipped.
/// IGNORECASE matters in two places on lower-cased text: 'ſ' (U+017F) matches the literal 's', and U+0345, whose
/// case variants are letters, matches neither <c>[\p{L}]</c> nor the negated class, so it is dropped.
/// </summary>
internal static class ClipPreTokenizer
{
    private static readonly string[] Specials = [BpeVocabulary.StartOfTextToken, BpeVocabulary.EndOfTextToken];
    private static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    private enum CharClass { Letter, Number, Space, Dropped, Other }

    public static List<string> Split(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            int literal = MatchLiteral(text, i);
            if (literal > 0)
            {
                tokens.Add(text.Substring(i, literal));
                i += literal;
                continue;
            }

            CharClass cls = Classify(text, i, out int width);
            switch (cls)
            {
                case CharClass.Letter:
                case CharClass.Other:
                    int end = i + width;
                    while (end < text.Length && Classify(text, end, out int w) == cls) end += w;
                    tokens.Add(text[i..end]);
                    i = end;
                    break;
                case CharClass.Number:
                    tokens.Add(text.Substring(i, width));
                    i += width;
                    break;
                default:
                    i += width;
                    break;
            }
        }
        return tokens;
    }

    /// <summary>Length of the special-token or contraction alternative matching at <paramref name="i"/>, or 0.</summary>
    private static int MatchLiteral(string text, int i)
    {
        char c = text[i];
        if (c == '<')
        {
            foreach (string special in Specials)
            {
                if (MatchesIgnoreCase(text, i, special)) return special.Length;
            }
        }
        else if (c == '\'')
        {
            foreach (string suffix in Contractions)
            {
                if (MatchesIgnoreCase(text, i + 1, suffix)) return suffix.Length + 1;
            }
        }
        return 0;
    }

    private static bool MatchesIgnoreCase(string text, int start, string literal)
    {
        if (start + literal.Length > text.Length) return false;
        for (int k = 0; k < literal.Length; k++)
        {
            char c = text[start + k], l = literal[k];
            bool same = c == l || char.ToLowerInvariant(c) == l && char.IsAsciiLetter(c) || l == 's' && c == '\u017F';
            if (!same) return false;
        }
        return true;
    }

    private static CharClass Classify(string text, int i, out int width)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out width) != System.Buffers.OperationStatus.Done)
        {
            width = 1; // lone surrogate: category Cs
            return CharClass.Other;
        }
        if (PythonText.IsRegexWhiteSpace(rune.Value)) return CharClass.Space;
        if (rune.Value == 0x0345) return CharClass.Dropped;
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return CharClass.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return CharClass.Number;
            default:
                return CharClass.Other;
        }
    }
}
