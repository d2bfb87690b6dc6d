using System.Text;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Python's <c>html.unescape</c>: decimal and hexadecimal references with or without the semicolon (with the HTML5
/// replacements for invalid code points), and named references, including legacy names without a semicolon matched
/// as the longest prefix (<c>&amp;notanentity;</c> → <c>¬anentity;</c>). Named references come from
/// <see cref="HtmlEntityTable"/>, a subset of the HTML5 list.
/// </summary>
internal static class HtmlUnescape
{
    private const int MaxNameCodePoints = 32;

    public static string Unescape(string s)
    {
        int amp = s.IndexOf('&');
        if (amp < 0) return s;

        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, amp);
        int i = amp;
        while (i < s.Length)
        {
            if (s[i] != '&')
            {
                sb.Append(s[i++]);
                continue;
            }
            int end = i + 1 < s.Length && s[i + 1] == '#' ? MatchNumeric(s, i + 2) : MatchName(s, i + 1);
            if (end < 0)
            {
                sb.Append('&');
                i++;
                continue;
            }
            string reference = s[(i + 1)..end];
            sb.Append(reference[0] == '#' ? DecodeNumeric(reference) : DecodeNamed(reference));
            i = end;
        }
        return sb.ToString();
    }

    /// <summary><c>#[0-9]+;?</c> or <c>#[xX][0-9a-fA-F]+;?</c>, starting after the '#'; returns the end, or -1.</summary>
    private static int MatchNumeric(string s, int start)
    {
        int j = start;
        while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
        if (j == start)
        {
            if (start >= s.Length || (s[start] != 'x' && s[start] != 'X')) return -1;
            j = start + 1;
            while (j < s.Length && char.IsAsciiHexDigit(s[j])) j++;
            if (j == start + 1) return -1;
        }
        return j < s.Length && s[j] == ';' ? j + 1 : j;
    }

    /// <summary><c>[^\t\n\f &lt;&amp;#;]{1,32};?</c>, counting code points; returns the end, or -1.</summary>
    private static int MatchName(string s, int start)
    {
        int j = start, codePoints = 0;
        while (j < s.Length && codePoints < MaxNameCodePoints && s[j] is not ('\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';'))
        {
            j += char.IsSurrogatePair(s, j) ? 2 : 1;
            codePoints++;
        }
        if (codePoints == 0) return -1;
        return j < s.Length && s[j] == ';' ? j + 1 : j;
    }

    private static string DecodeNumeric(string reference)
    {
        bool hex = reference[1] is 'x' or 'X';
        string digits = reference[(hex ? 2 : 1)..].TrimEnd(';');
        // Anything above 0x10FFFF behaves alike, so saturate instead of overflowing.
        long value = 0;
        foreach (char d in digits)
        {
            value = value * (hex ? 16 : 10) + (d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
            if (value > 0x110000) value = 0x110000;
        }
        return value switch
        {
            0x00 => "\uFFFD",
            0x0D => "\r",
            >= 0x80 and <= 0x9F => Windows1252.DecodeC1((int)value).ToString(),
            >= 0xD800 and <= 0xDFFF or > 0x10FFFF => "\uFFFD",
            _ when IsInvalidCodePoint((int)value) => "",
            _ => char.ConvertFromUtf32((int)value),
        };
    }

    private static bool IsInvalidCodePoint(int c) =>
        c is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (c & 0xFFFE) == 0xFFFE;

    private static string DecodeNamed(string name)
    {
        if (HtmlEntityTable.TryGet(name, out string? value)) return value;
        // The longest prefix of at least two characters that is a name in the table; only legacy names (without
        // the semicolon) can match, since the name cannot contain ';' before its end.
        for (int x = name.Length - 1; x >= 2; x--)
        {
            if (HtmlEntityTable.TryGet(name[..x], out value)) return value + name[x..];
        }
        return "&" + name;
    }
}
