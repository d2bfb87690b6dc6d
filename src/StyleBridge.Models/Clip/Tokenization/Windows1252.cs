namespace StyleBridge.Models.Clip;

/// <summary>
/// The Windows-1252 characters of bytes 0x80–0x9F, "sloppy" variant: the five bytes Windows-1252 leaves undefined
/// (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the C1 control of the same value. Python's <c>html.unescape</c> uses this
/// table for numeric references 0x80–0x9F, and ftfy for C1 controls and its sloppy codec.
/// </summary>
internal static class Windows1252
{
    private static readonly char[] C1Range =
    [
        '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
        '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
    ];

    private static readonly Dictionary<char, byte> Reverse = BuildReverse();

    /// <summary>The character of byte <paramref name="b"/>, which must be in 0x80–0x9F.</summary>
    public static char DecodeC1(int b) => C1Range[b - 0x80];

    /// <summary>The byte of a character of sloppy Windows-1252 outside ASCII, if it has one.</summary>
    public static bool TryEncodeNonAscii(char c, out byte b)
    {
        if (c is >= '\u00A0' and <= '\u00FF')
        {
            b = (byte)c;
            return true;
        }
        return Reverse.TryGetValue(c, out b);
    }

    private static Dictionary<char, byte> BuildReverse()
    {
        var map = new Dictionary<char, byte>(C1Range.Length);
        for (int i = 0; i < C1Range.Length; i++) map[C1Range[i]] = (byte)(0x80 + i);
        return map;
    }
}
