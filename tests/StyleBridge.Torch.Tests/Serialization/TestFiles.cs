namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>A temp folder for files a test writes; deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sb-ser-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a copy of the first <paramref name="length"/> bytes of <paramref name="source"/>.</summary>
    public string Truncated(string source, long length, string name)
    {
        using var input = System.IO.File.OpenRead(source);
        using var output = System.IO.File.Create(File(name));
        var buffer = new byte[length];
        input.ReadExactly(buffer);
        output.Write(buffer);
        return File(name);
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
