namespace StyleBridge.Models.Clip;

/// <summary>Thrown when a prompt needs more tokens than the context length and truncation is off.</summary>
public sealed class ClipTokenizerException : Exception
{
    public ClipTokenizerException(string message, int tokenCount, int contextLength)
        : base(message)
    {
        TokenCount = tokenCount;
        ContextLength = contextLength;
    }

    /// <summary>Tokens the prompt needs, start and end tokens included.</summary>
    public int TokenCount { get; }

    public int ContextLength { get; }
}
