using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The part of <c>ftfy.fix_text</c> (ftfy 6.3, default configuration) that matters for prompts and is cheap to do
/// exactly. Like ftfy, the text is fixed one line (segment ending in '\n') at a time, and each segment goes through
/// the steps below, in ftfy's order, until it stops changing:
/// <list type="number">
/// <item><c>unescape_html</c>: HTML5 references with a semicolon, numeric ones, and upper-cased names
/// (<c>&amp;EACUTE;</c> → É); skipped from the first segment containing '&lt;' on, as ftfy's "auto" mode does.</item>
/// <item><c>fix_encoding</c>, simplified: a segment whose characters all come from Latin-1, or from sloppy
/// Windows-1252, and whose bytes in that encoding are well-formed UTF-8 is decoded as UTF-8 (<c>Ã©</c> → é).</item>
/// <item><c>fix_c1_controls</c>: C1 controls read as Windows-1252 (U+0085 → …).</item>
/// <item><c>fix_latin_ligatures</c>, <c>fix_character_width</c>, <c>uncurl_quotes</c>, <c>fix_line_breaks</c>,
/// <c>fix_surrogates</c>, <c>remove_terminal_escapes</c>, <c>remove_control_chars</c>, then NFC.</item>
/// </list>
/// Not reproduced (see docs/clip-tokenizer.md): ftfy's badness heuristic that decides whether a segment is mojibake at
/// all, the other single-byte encodings (Windows-1250/1251/…, MacRoman, cp437), <c>restore_byte_a0</c>,
/// <c>replace_lossy_sequences</c> beyond a lone U+FFFD, <c>decode_inconsistent_utf8</c>, the CESU-8 / Java UTF-8
/// variants, and HTML5 names outside <see cref="HtmlEntityTable"/>.
/// </summary>
internal static class FtfyFixes
{
    /// <summary>A bound ftfy does not have; real text settles in a handful of rounds (one per nested escape level).</summary>
    private const int MaxRounds = 1000;

    private static readonly Dictionary<string, string> FtfyEntities = BuildFtfyEntities();
    private static readonly Dictionary<char, string> Ligatures = new()
    {
        ['\u0132'] = "IJ", ['\u0133'] = "ij", ['\u0149'] = "\u02BCn",
        ['\u01F1'] = "DZ", ['\u01F2'] = "Dz", ['\u01F3'] = "dz",
        ['\u01C4'] = "D\u017D", ['\u01C5'] = "D\u017E", ['\u01C6'] = "d\u017E",
        ['\u01C7'] = "LJ", ['\u01C8'] = "Lj", ['\u01C9'] = "lj",
        ['\u01CA'] = "NJ", ['\u01CB'] = "Nj", ['\u01CC'] = "nj",
        ['\uFB00'] = "ff", ['\uFB01'] = "fi", ['\uFB02'] = "fl", ['\uFB03'] = "ffi", ['\uFB04'] = "ffl",
        ['\uFB05'] = "\u017Ft", ['\uFB06'] = "st",
    };
    private static readonly Dictionary<char, string> WidthMap = BuildWidthMap();

    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        for (int pos = 0; pos < text.Length;)
        {
            int lineBreak = text.IndexOf('\n', pos);
            int end = lineBreak < 0 ? text.Length : lineBreak + 1;
            string segment = text[pos..end];
            if (unescapeHtml && segment.Contains('<')) unescapeHtml = false;
            sb.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }
        return sb.ToString();
    }

    private static string FixSegment(string text, bool unescapeHtml)
    {
        for (int round = 0; round < MaxRounds; round++)
        {
            string original = text;
            if (unescapeHtml) text = UnescapeHtml(text);
            text = FixEncoding(text);
            text = FixC1Controls(text);
            text = Translate(text, Ligatures);
            text = Translate(text, WidthMap);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = RemoveTerminalEscapes(text);
            text = RemoveControlChars(text);
            text = text.Normalize(NormalizationForm.FormC);
            if (text == original) break;
        }
        return text;
    }

    /// <summary>ftfy's <c>unescape_html</c>: replaces each match of <c>&amp;#?[0-9A-Za-z]{1,24};</c>.</summary>
    internal static string UnescapeHtml(string s)
    {
        if (!s.Contains('&')) return s;
        var sb = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            int end = s[i] == '&' ? MatchEntity(s, i) : -1;
            if (end < 0)
            {
                sb.Append(s[i++]);
                continue;
            }
            string entity = s[i..end];
            if (FtfyEntities.TryGetValue(entity, out string? value))
            {
                sb.Append(value);
            }
            else if (entity.StartsWith("&#", StringComparison.Ordinal))
            {
                // A numeric reference counts only if html.unescape consumed it whole, semicolon included.
                string unescaped = HtmlUnescape.Unescape(entity);
                sb.Append(unescaped.Contains(';') ? entity : unescaped);
            }
            else
            {
                sb.Append(entity);
            }
            i = end;
        }
        return sb.ToString();
    }

    private static int MatchEntity(string s, int amp)
    {
        int start = amp + 1 < s.Length && s[amp + 1] == '#' ? amp + 2 : amp + 1;
        int j = start;
        while (j < s.Length && j - start < 24 && char.IsAsciiLetterOrDigit(s[j])) j++;
        return j > start && j < s.Length && s[j] == ';' ? j + 1 : -1;
    }

    /// <summary>
    /// Decodes a segment that reads as UTF-8 once encoded in Latin-1 or sloppy Windows-1252, repeatedly (for
    /// doubly-encoded text). ftfy first asks its badness heuristic whether the text looks like mojibake; here
    /// being encodable and well-formed UTF-8 with at least one non-ASCII byte is taken as the sign.
    /// </summary>
    internal static string FixEncoding(string text)
    {
        for (int round = 0; round < MaxRounds; round++)
        {
            string? fixedText = TryReinterpret(text, latin1: true) ?? TryReinterpret(text, latin1: false);
            if (fixedText is null || fixedText == text) return text;
            text = fixedText;
        }
        return text;
    }

    private static string? TryReinterpret(string text, bool latin1)
    {
        var bytes = new List<byte>(text.Length + 2);
        bool nonAscii = false;
        foreach (char c in text)
        {
            if (c < 0x80)
            {
                // The sloppy codecs reserve byte 0x1A for U+FFFD, so U+001A itself is not encodable in them.
                if (!latin1 && c == '\u001A') return null;
                bytes.Add((byte)c);
            }
            else if (latin1 ? c <= 0xFF : Windows1252.TryEncodeNonAscii(c, out _))
            {
                bytes.Add(latin1 ? (byte)c : EncodeSloppy(c));
                nonAscii = true;
            }
            else if (!latin1 && c == '\uFFFD')
            {
                // ftfy writes byte 0x1A for U+FFFD and replace_lossy_sequences turns a lone 0x1A into U+FFFD's UTF-8.
                bytes.AddRange("\uFFFD"u8);
            }
            else
            {
                return null;
            }
        }
        if (!nonAscii) return null;

        var utf8 = bytes.ToArray();
        var chars = new char[utf8.Length];
        var status = Utf8.ToUtf16(utf8, chars, out _, out int written, replaceInvalidSequences: false);
        return status == OperationStatus.Done ? new string(chars, 0, written) : null;
    }

    private static byte EncodeSloppy(char c)
    {
        Windows1252.TryEncodeNonAscii(c, out byte b);
        return b;
    }

    /// <summary>ftfy's <c>fix_c1_controls</c>: each U+0080–U+009F becomes its sloppy Windows-1252 character.</summary>
    internal static string FixC1Controls(string s)
    {
        if (!s.Any(c => c is >= '\u0080' and <= '\u009F')) return s;
        return string.Create(s.Length, s, static (span, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                char c = src[i];
                span[i] = c is >= '\u0080' and <= '\u009F' ? Windows1252.DecodeC1(c) : c;
            }
        });
    }

    private static string UncurlQuotes(string s)
    {
        if (!s.Any(IsCurlyQuote)) return s;
        return string.Create(s.Length, s, static (span, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                char c = src[i];
                span[i] = c switch
                {
                    '\u02BC' or >= '\u2018' and <= '\u201B' => '\'',
                    >= '\u201C' and <= '\u201F' => '"',
                    _ => c,
                };
            }
        });
    }

    private static bool IsCurlyQuote(char c) => c is '\u02BC' or >= '\u2018' and <= '\u201F';

    private static string FixLineBreaks(string s) =>
        s.Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>Paired surrogates already form one code point in .NET; lone ones become U+FFFD.</summary>
    private static string FixSurrogates(string s)
    {
        if (!s.Any(char.IsSurrogate)) return s;
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsSurrogatePair(s, i))
            {
                sb.Append(s, i, 2);
                i++;
            }
            else
            {
                sb.Append(char.IsSurrogate(s[i]) ? '\uFFFD' : s[i]);
            }
        }
        return sb.ToString();
    }

    /// <summary>Removes ANSI escapes: ESC '[' (digits or ';')* letter, where Python's <c>\d</c> is any Nd digit.</summary>
    private static string RemoveTerminalEscapes(string s)
    {
        int esc = s.IndexOf('\u001B');
        if (esc < 0) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, esc);
        for (int i = esc; i < s.Length; i++)
        {
            if (s[i] == '\u001B' && i + 1 < s.Length && s[i + 1] == '[')
            {
                int j = i + 2;
                while (j < s.Length && (s[j] == ';' || char.IsDigit(s[j]))) j++;
                if (j < s.Length && char.IsAsciiLetter(s[j]))
                {
                    i = j;
                    continue;
                }
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsRemovedControl(char c) =>
        c is <= '\u0008' or '\u000B' or >= '\u000E' and <= '\u001F' or '\u007F' or >= '\u206A' and <= '\u206F'
            or '\uFEFF' or >= '\uFFF9' and <= '\uFFFC';

    private static string RemoveControlChars(string s) =>
        s.Any(IsRemovedControl) ? string.Concat(s.Where(c => !IsRemovedControl(c))) : s;

    private static string Translate(string s, Dictionary<char, string> map)
    {
        if (!s.Any(map.ContainsKey)) return s;
        var sb = new StringBuilder(s.Length + 8);
        foreach (char c in s)
        {
            if (map.TryGetValue(c, out string? replacement)) sb.Append(replacement);
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>U+3000 → space and every halfwidth/fullwidth form U+FF01–U+FFEF → its NFKC form.</summary>
    private static Dictionary<char, string> BuildWidthMap()
    {
        var map = new Dictionary<char, string> { ['\u3000'] = " " };
        for (char c = '\uFF01'; c <= '\uFFEF'; c++)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.OtherNotAssigned) continue;
            string alternate = c.ToString().Normalize(NormalizationForm.FormKC);
            if (alternate != c.ToString()) map[c] = alternate;
        }
        return map;
    }

    /// <summary>
    /// <c>&amp;name;</c> for every name taking a semicolon, plus its all-capitals spelling for lower-case names
    /// whose capitals html.unescape leaves alone, decoding to the upper-cased value (<c>&amp;SZLIG;</c> → "SS").
    /// </summary>
    private static Dictionary<string, string> BuildFtfyEntities()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in HtmlEntityTable.WithSemicolon) map["&" + name] = value;
        foreach (var (name, value) in HtmlEntityTable.WithSemicolon)
        {
            if (name != name.ToLowerInvariant()) continue;
            string upper = "&" + name.ToUpperInvariant();
            if (HtmlUnescape.Unescape(upper) == upper) map[upper] = PythonUpper(value);
        }
        return map;
    }

    private static string PythonUpper(string s) => s == "\u00DF" ? "SS" : s.ToUpperInvariant();
}
