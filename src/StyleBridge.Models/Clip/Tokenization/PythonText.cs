using System.Globalization;
using System.Text;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The few Python string semantics the reference tokenizer depends on and .NET does differently:
/// <c>str.strip()</c>, the <c>regex</c> module's <c>\s</c>, and <c>str.lower()</c> (full case mapping, final sigma).
/// </summary>
internal static class PythonText
{
    /// <summary>
    /// Unicode White_Space: what the <c>regex</c> module's <c>\s</c> matches in a str pattern. It excludes
    /// U+001C–U+001F, U+180E, U+200B and U+FEFF.
    /// </summary>
    public static bool IsRegexWhiteSpace(int c) => c switch
    {
        >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary><c>str.isspace</c>, the set <c>str.strip()</c> removes: White_Space plus U+001C–U+001F.</summary>
    public static bool IsStrSpace(int c) => IsRegexWhiteSpace(c) || c is >= 0x1C and <= 0x1F;

    /// <summary><c>str.strip()</c> with no argument. All characters of the set are in the BMP.</summary>
    public static string Strip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsStrSpace(text[start])) start++;
        while (end > start && IsStrSpace(text[end - 1])) end--;
        return start == 0 && end == text.Length ? text : text[start..end];
    }

    /// <summary><c>regex.sub(r'\s+', ' ', text)</c>.</summary>
    public static string CollapseWhiteSpace(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool inRun = false;
        foreach (char c in text)
        {
            if (IsRegexWhiteSpace(c))
            {
                if (!inRun) sb.Append(' ');
                inRun = true;
            }
            else
            {
                sb.Append(c);
                inRun = false;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// <c>str.lower()</c>: simple lowercase mappings, plus the full mappings Python applies, which for lowercase are
    /// U+0130 → "i\u0307" and the final-sigma rule for U+03A3.
    /// </summary>
    public static string Lower(string text)
    {
        var sb = new StringBuilder(text.Length + 4);
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                sb.Append(text[i]); // lone surrogate: no case mapping
                i++;
                continue;
            }
            switch (rune.Value)
            {
                case 0x0130:
                    sb.Append("i\u0307");
                    break;
                case 0x03A3:
                    sb.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
                    break;
                default:
                    var lower = Rune.ToLowerInvariant(rune);
                    if (lower.Utf16SequenceLength == 1) sb.Append((char)lower.Value);
                    else sb.Append(lower.ToString());
                    break;
            }
            i += used;
        }
        return sb.ToString();
    }

    /// <summary>
    /// Unicode's Final_Sigma condition as CPython evaluates it: a cased letter before the sigma and none after it,
    /// skipping case-ignorable characters in both directions.
    /// </summary>
    private static bool IsFinalSigma(string text, int sigmaIndex)
    {
        int j = sigmaIndex;
        Rune before = default;
        bool found = false;
        while (j > 0 && Rune.DecodeLastFromUtf16(text.AsSpan(0, j), out before, out int used) == System.Buffers.OperationStatus.Done)
        {
            j -= used;
            if (!IsCaseIgnorable(before))
            {
                found = true;
                break;
            }
        }
        if (!found || !IsCased(before)) return false;

        j = sigmaIndex + 1;
        while (j < text.Length && Rune.DecodeFromUtf16(text.AsSpan(j), out Rune after, out int used) == System.Buffers.OperationStatus.Done)
        {
            if (!IsCaseIgnorable(after)) return !IsCased(after);
            j += used;
        }
        return true;
    }

    /// <summary>
    /// Case_Ignorable: Mn, Me, Cf, Lm, Sk, and the Word_Break MidLetter / MidNumLet / Single_Quote characters.
    /// </summary>
    private static bool IsCaseIgnorable(Rune r)
    {
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.Format:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.ModifierSymbol:
                return true;
        }
        return r.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }

    /// <summary>
    /// Cased: Lu, Ll, Lt, plus the Other_Lowercase / Other_Uppercase characters that are not case-ignorable
    /// (ª, º, Roman numerals, circled and squared Latin letters).
    /// </summary>
    private static bool IsCased(Rune r)
    {
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
                return true;
        }
        return r.Value is 0xAA or 0xBA or >= 0x2160 and <= 0x217F or >= 0x24B6 and <= 0x24E9
            or >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;
    }
}
