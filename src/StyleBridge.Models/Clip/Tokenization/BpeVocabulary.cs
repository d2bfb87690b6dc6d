using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace StyleBridge.Models.Clip;

/// <summary>
/// The token strings, their ids and the ranked merge table of CLIP's byte-level BPE, read from either the merges file
/// OpenAI ships (<c>bpe_simple_vocab_16e6.txt.gz</c>) or the Hugging Face pair <c>vocab.json</c> + <c>merges.txt</c>.
/// </summary>
internal sealed class BpeVocabulary
{
    public const string EndOfWord = "</w>";
    public const string StartOfTextToken = "<|startoftext|>";
    public const string EndOfTextToken = "<|endoftext|>";

    /// <summary>Merges the reference reads: file lines 1..48894 (49152 − 256 − 2).</summary>
    public const int OpenAiMergeCount = 49152 - 256 - 2;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<long, Merge> _merges;
    private readonly (string Left, string Right)[] _mergeList;

    /// <summary>A merge of two adjacent symbols: its rank (lower merges first) and the id of the merged symbol.</summary>
    public readonly record struct Merge(int Rank, int Result);

    private BpeVocabulary(string[] tokens, Dictionary<string, int> ids, IReadOnlyList<(string Left, string Right)> merges)
    {
        _tokens = tokens;
        _ids = ids;
        _mergeList = [.. merges];
        _merges = new Dictionary<long, Merge>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            int leftId = RequireId(left, rank);
            int rightId = RequireId(right, rank);
            int resultId = RequireId(left + right, rank);
            // Like the reference's dict(zip(merges, range(...))), a repeated pair keeps its last rank.
            _merges[PairKey(leftId, rightId)] = new Merge(rank, resultId);
        }

        ByteSymbolIds = new int[256];
        ByteEndOfWordSymbolIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            string symbol = ByteUnicodeTable.ByteToChar[b].ToString();
            ByteSymbolIds[b] = RequireId(symbol, -1);
            ByteEndOfWordSymbolIds[b] = RequireId(symbol + EndOfWord, -1);
        }
        StartOfTextId = RequireId(StartOfTextToken, -1);
        EndOfTextId = RequireId(EndOfTextToken, -1);
    }

    public int Count => _tokens.Length;

    public int StartOfTextId { get; }

    public int EndOfTextId { get; }

    /// <summary>Id of the symbol for each byte when it is not the last byte of a pre-token.</summary>
    public int[] ByteSymbolIds { get; }

    /// <summary>Id of the symbol for each byte followed by <c>&lt;/w&gt;</c> (the last byte of a pre-token).</summary>
    public int[] ByteEndOfWordSymbolIds { get; }

    public IReadOnlyList<string> Tokens => _tokens;

    public IReadOnlyList<(string Left, string Right)> Merges => _mergeList;

    public string TokenOf(int id) =>
        (uint)id < (uint)_tokens.Length
            ? _tokens[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, "Not a token id of this vocabulary.");

    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    public bool TryGetMerge(int leftId, int rightId, out Merge merge) => _merges.TryGetValue(PairKey(leftId, rightId), out merge);

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private int RequireId(string token, int mergeRank) =>
        _ids.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException(mergeRank >= 0
                ? $"BPE merge {mergeRank} uses or produces the symbol '{token}', which is not in the vocabulary."
                : $"The vocabulary has no entry for '{token}'.");

    /// <summary>
    /// Reads OpenAI's merges file (gzip-compressed, or plain UTF-8 text). Line 0 is a header; lines 1..48894 are the
    /// merges. Ids: the 256 byte characters, the same followed by <c>&lt;/w&gt;</c>, each merge's concatenation in file
    /// order, then <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> (49408 in all).
    /// </summary>
    public static BpeVocabulary FromOpenAiMerges(Stream stream)
    {
        using var text = OpenMaybeGzip(stream);
        _ = text.ReadLine() ?? throw new InvalidDataException("The BPE merges file is empty.");
        var merges = new List<(string, string)>(OpenAiMergeCount);
        // The file's lines never contain '\r' (every byte is mapped to a printable character), so ReadLine splits
        // exactly where the reference's split('\n') does. Lines past 48894 are unused; stop reading there.
        while (merges.Count < OpenAiMergeCount)
        {
            string line = text.ReadLine()
                ?? throw new InvalidDataException($"The BPE merges file ends after {merges.Count} merges; {OpenAiMergeCount} are needed.");
            merges.Add(ParseMerge(line, merges.Count + 1));
        }

        var tokens = new List<string>(2 * 256 + merges.Count + 2);
        tokens.AddRange(ByteUnicodeTable.VocabularyOrder.Select(c => c.ToString()));
        tokens.AddRange(ByteUnicodeTable.VocabularyOrder.Select(c => c + EndOfWord));
        tokens.AddRange(merges.Select(m => m.Item1 + m.Item2));
        tokens.Add(StartOfTextToken);
        tokens.Add(EndOfTextToken);

        var ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
        {
            ids[tokens[id]] = id;
        }
        if (ids.Count != tokens.Count)
        {
            throw new InvalidDataException("The BPE merges file produces duplicate vocabulary entries.");
        }
        return new BpeVocabulary([.. tokens], ids, merges);
    }

    /// <summary>
    /// Reads the Hugging Face format: <c>vocab.json</c> (token → id) and <c>merges.txt</c> (an optional
    /// <c>#version</c> header line, then one merge per line in rank order).
    /// </summary>
    public static BpeVocabulary FromHuggingFace(Stream vocabJson, Stream mergesText)
    {
        var ids = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson)
            ?? throw new InvalidDataException("vocab.json is empty.");
        ids = new Dictionary<string, int>(ids, StringComparer.Ordinal);
        if (ids.Count == 0) throw new InvalidDataException("vocab.json has no entries.");

        var tokens = new string[ids.Count];
        foreach (var (token, id) in ids)
        {
            if ((uint)id >= (uint)tokens.Length)
            {
                throw new InvalidDataException($"vocab.json gives '{token}' the id {id}; ids must run from 0 to {tokens.Length - 1}.");
            }
            if (tokens[id] is not null)
            {
                throw new InvalidDataException($"vocab.json gives id {id} to both '{tokens[id]}' and '{token}'.");
            }
            tokens[id] = token;
        }

        var merges = new List<(string, string)>();
        using var reader = new StreamReader(mergesText, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        int lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine(), lineNumber++)
        {
            if (lineNumber == 0 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0) continue;
            merges.Add(ParseMerge(line, lineNumber));
        }
        return new BpeVocabulary(tokens, ids, merges);
    }

    private static (string, string) ParseMerge(string line, int lineNumber)
    {
        int space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
        {
            throw new InvalidDataException($"BPE merges line {lineNumber} is not two symbols separated by one space: '{line}'.");
        }
        return (line[..space], line[(space + 1)..]);
    }

    private static StreamReader OpenMaybeGzip(Stream stream)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        Stream content = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B
            ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true)
            : stream;
        return new StreamReader(content, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false, leaveOpen: content == stream);
    }
}
