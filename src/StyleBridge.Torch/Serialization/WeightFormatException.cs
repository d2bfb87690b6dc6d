namespace StyleBridge.Torch.Serialization;

/// <summary>
/// A weight file could not be read: unsupported format, corrupt or truncated data, or content that
/// would need Python code to load. The message always names the file and the problem.
/// </summary>
public sealed class WeightFormatException : Exception
{
    public WeightFormatException(string path, string problem, Exception? innerException = null)
        : base($"{path}: {problem}", innerException)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file (or archive member, as <c>file.pt:archive/data.pkl</c>) that failed.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
