namespace StyleBridge.Models.Clip;

/// <summary>Texts to the int64 [N, context] id tensor the text tower takes.</summary>
public static class ClipTokenIds
{
    public static Tensor FromTexts(ClipTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        long[,] ids = tokenizer.TokenizeBatch(texts);
        var flat = new long[ids.Length];
        Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
        return tensor(flat, [ids.GetLength(0), ids.GetLength(1)]);
    }
}
