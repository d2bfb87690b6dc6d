namespace StyleBridge.Models.Clip;

/// <summary>
/// CLIP's <c>bytes_to_unicode</c>: a reversible map from the 256 byte values to printable characters, so byte-level
/// BPE can work on strings. Bytes 33–126, 161–172 and 174–255 map to the code point of the same value; the remaining
/// 68 bytes (0–32, 127–160, 173) map, in ascending order, to U+0100, U+0101, …
/// </summary>
internal static class ByteUnicodeTable
{
    /// <summary>Byte value → its character.</summary>
    public static IReadOnlyList<char> ByteToChar { get; } = BuildByteToChar();

    /// <summary>The 256 characters in the reference's dictionary order, which is the order of vocabulary ids 0–255.</summary>
    public static IReadOnlyList<char> VocabularyOrder { get; } = BuildVocabularyOrder();

    /// <summary>Character → byte value, or -1 when the character is not one of the 256.</summary>
    public static int CharToByte(char c) => c < CharToByteTable.Length ? CharToByteTable[c] : -1;

    private static readonly int[] CharToByteTable = BuildCharToByte();

    private static bool MapsToItself(int b) => b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            map[b] = MapsToItself(b) ? (char)b : (char)next++;
        }
        return map;
    }

    private static char[] BuildVocabularyOrder()
    {
        var byteToChar = BuildByteToChar();
        var order = new List<char>(256);
        for (int b = 0; b < 256; b++)
        {
            if (MapsToItself(b)) order.Add(byteToChar[b]);
        }
        for (int b = 0; b < 256; b++)
        {
            if (!MapsToItself(b)) order.Add(byteToChar[b]);
        }
        return [.. order];
    }

    private static int[] BuildCharToByte()
    {
        var byteToChar = BuildByteToChar();
        var table = new int[byteToChar.Max() + 1];
        Array.Fill(table, -1);
        for (int b = 0; b < 256; b++) table[byteToChar[b]] = b;
        return table;
    }
}
