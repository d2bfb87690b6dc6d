using System.Text;

namespace StyleBridge.Models.Clip;

/// <summary>
/// OpenAI CLIP's tokenizer (<c>clip/simple_tokenizer.py</c> + <c>clip.tokenize</c>): text cleaning, the reference
/// pre-tokenizer and byte-level BPE over the 49408-entry vocabulary. Thread-safe; load once and share.
/// </summary>
public sealed class ClipTokenizer
{
    public const int StartOfText = 49406;
    public const int EndOfText = 49407;
    public const int ContextLength = 77;

    private readonly BpeVocabulary _vocabulary;
    private readonly BytePairEncoder _encoder;

    private ClipTokenizer(BpeVocabulary vocabulary, bool fixText)
    {
        _vocabulary = vocabulary;
        _encoder = new BytePairEncoder(vocabulary);
        FixesText = fixText;
    }

    /// <summary>
    /// Whether the ftfy step runs (the implemented subset, see docs/clip-tokenizer.md). With <c>false</c> the output
    /// equals the reference's with <c>ftfy.fix_text</c> replaced by the identity.
    /// </summary>
    public bool FixesText { get; }

    public int VocabularySize => _vocabulary.Count;

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> in this vocabulary (49406 for CLIP's).</summary>
    public int StartOfTextId => _vocabulary.StartOfTextId;

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> in this vocabulary (49407 for CLIP's).</summary>
    public int EndOfTextId => _vocabulary.EndOfTextId;

    /// <summary>Token strings by id, in byte-level form (e.g. <c>"glasses&lt;/w&gt;"</c>).</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary.Tokens;

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _vocabulary.Merges;

    /// <summary>Loads OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c> (an uncompressed copy is accepted too).</summary>
    public static ClipTokenizer FromOpenAiVocab(string bpeGzPath, bool fixText = true)
    {
        using var stream = File.OpenRead(bpeGzPath);
        return FromOpenAiVocab(stream, fixText);
    }

    /// <inheritdoc cref="FromOpenAiVocab(string, bool)"/>
    public static ClipTokenizer FromOpenAiVocab(Stream bpeGz, bool fixText = true) =>
        new(BpeVocabulary.FromOpenAiMerges(bpeGz), fixText);

    /// <summary>Loads the Hugging Face files <c>vocab.json</c> (token → id) and <c>merges.txt</c>.</summary>
    public static ClipTokenizer FromHuggingFace(string vocabJsonPath, string mergesTxtPath, bool fixText = true)
    {
        using var vocab = File.OpenRead(vocabJsonPath);
        using var merges = File.OpenRead(mergesTxtPath);
        return new ClipTokenizer(BpeVocabulary.FromHuggingFace(vocab, merges), fixText);
    }

    /// <summary>The cleaned, lower-cased text the pre-tokenizer runs on (<c>cleaned_text</c> in the golden cases).</summary>
    public string CleanText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ClipTextCleaner.Clean(text, FixesText);
    }

    /// <summary>The pre-tokens of the cleaned text, before byte encoding and BPE (<c>pretokens</c>).</summary>
    public IReadOnlyList<string> PreTokenize(string text) => ClipPreTokenizer.Split(CleanText(text));

    /// <summary>BPE ids of <paramref name="text"/>, without start and end tokens.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (string preToken in PreTokenize(text)) _encoder.Encode(preToken, ids);
        return ids;
    }

    /// <summary>The token strings of <see cref="Encode"/>'s ids, for debugging (<c>tokens</c>).</summary>
    public IReadOnlyList<string> BpeTokens(string text) => [.. Encode(text).Select(_vocabulary.TokenOf)];

    /// <summary>
    /// <c>clip.tokenize</c> for one text: start token, BPE ids, end token, zero padding to
    /// <paramref name="contextLength"/>. Too long a text throws <see cref="ClipTokenizerException"/> unless
    /// <paramref name="truncate"/> is set, which keeps the first <paramref name="contextLength"/> ids and puts the end
    /// token in the last position.
    /// </summary>
    public long[] Tokenize(string text, int contextLength = ContextLength, bool truncate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        var row = new long[contextLength];
        Fill(text, row, truncate);
        return row;
    }

    /// <summary><c>clip.tokenize</c> for a batch: one row of <paramref name="contextLength"/> ids per text.</summary>
    public long[,] TokenizeBatch(IReadOnlyList<string> texts, int contextLength = ContextLength, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        var result = new long[texts.Count, contextLength];
        var row = new long[contextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            Array.Clear(row);
            Fill(texts[i], row, truncate);
            for (int j = 0; j < contextLength; j++) result[i, j] = row[j];
        }
        return result;
    }

    private void Fill(string text, long[] row, bool truncate)
    {
        var ids = Encode(text);
        int needed = ids.Count + 2;
        if (needed > row.Length && !truncate)
        {
            throw new ClipTokenizerException(
                $"Input is too long for context length {row.Length}: it needs {needed} tokens " +
                $"({ids.Count} text tokens plus start and end). Shorten it or enable truncation. Text: \"{Preview(text)}\"",
                needed, row.Length);
        }
        int count = Math.Min(needed, row.Length);
        row[0] = StartOfTextId;
        for (int i = 1; i < count; i++) row[i] = i - 1 < ids.Count ? ids[i - 1] : EndOfTextId;
        row[count - 1] = EndOfTextId;
    }

    private static string Preview(string text) => text.Length <= 80 ? text : text[..77] + "...";

    /// <summary>
    /// The reference <c>decode</c>: concatenates the token strings, maps their characters back to bytes, decodes
    /// UTF-8 (invalid sequences become U+FFFD) and turns every <c>&lt;/w&gt;</c> into a space. Special and padding
    /// ids are decoded like any other (<c>&lt;|startoftext|&gt;</c>, <c>!</c> for id 0).
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            foreach (char c in _vocabulary.TokenOf(id))
            {
                int b = ByteUnicodeTable.CharToByte(c);
                if (b < 0) throw new InvalidDataException($"Token {id} contains '{c}', which is not a byte character.");
                bytes.Add((byte)b);
            }
        }
        return Encoding.UTF8.GetString([.. bytes]).Replace(BpeVocabulary.EndOfWord, " ");
    }
}
