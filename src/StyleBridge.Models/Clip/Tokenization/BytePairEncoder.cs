using System.Collections.Concurrent;
using System.Text;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Byte-level BPE of one pre-token, as the reference's <c>SimpleTokenizer.bpe</c>: UTF-8 bytes become symbols, the
/// last one carrying <c>&lt;/w&gt;</c>; then, repeatedly, the adjacent pair with the lowest merge rank is merged at
/// every non-overlapping occurrence in one left-to-right pass, until no pair is in the table or one symbol is left.
/// Results are cached per pre-token; the result is a pure function of the pre-token, so the cache cannot change it.
/// </summary>
internal sealed class BytePairEncoder(BpeVocabulary vocabulary)
{
    private const int MaxCacheEntries = 100_000;

    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    /// <summary>Appends the ids of <paramref name="preToken"/> to <paramref name="ids"/>.</summary>
    public void Encode(string preToken, List<int> ids)
    {
        if (preToken == BpeVocabulary.StartOfTextToken)
        {
            ids.Add(vocabulary.StartOfTextId);
            return;
        }
        if (preToken == BpeVocabulary.EndOfTextToken)
        {
            ids.Add(vocabulary.EndOfTextId);
            return;
        }
        if (!_cache.TryGetValue(preToken, out int[]? symbols))
        {
            symbols = Merge(preToken);
            if (_cache.Count >= MaxCacheEntries) _cache.Clear();
            _cache.TryAdd(preToken, symbols);
        }
        ids.AddRange(symbols);
    }

    private int[] Merge(string preToken)
    {
        // Lone surrogates cannot be encoded; Python would raise, Encoding.UTF8 writes U+FFFD (EF BF BD) instead.
        byte[] bytes = Encoding.UTF8.GetBytes(preToken);
        if (bytes.Length == 0) return [];

        var word = new List<int>(bytes.Length);
        for (int i = 0; i < bytes.Length - 1; i++) word.Add(vocabulary.ByteSymbolIds[bytes[i]]);
        word.Add(vocabulary.ByteEndOfWordSymbolIds[bytes[^1]]);

        var merged = new List<int>(word.Count);
        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            BpeVocabulary.Merge best = default;
            int first = 0, second = 0;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (vocabulary.TryGetMerge(word[i], word[i + 1], out var merge) && merge.Rank < bestRank)
                {
                    bestRank = merge.Rank;
                    best = merge;
                    (first, second) = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue) break;

            merged.Clear();
            for (int i = 0; i < word.Count; i++)
            {
                if (word[i] == first && i + 1 < word.Count && word[i + 1] == second)
                {
                    merged.Add(best.Result);
                    i++;
                }
                else
                {
                    merged.Add(word[i]);
                }
            }
            (word, merged) = (merged, word);
        }
        return [.. word];
    }
}
