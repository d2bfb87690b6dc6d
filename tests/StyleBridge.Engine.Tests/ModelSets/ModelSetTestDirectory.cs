namespace StyleBridge.Engine.Tests.ModelSets;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class ModelSetTestDirectory : IDisposable
{
    public ModelSetTestDirectory()
    {
        Root = Directory.CreateTempSubdirectory("sb-modelset-tests-").FullName;
    }

    public string Root { get; }

    public string File(string name) => Path.Combine(Root, name);

    public string Write(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Flips the bits of one byte in place (same length) and moves the write time on, as an edit would.</summary>
    public static void FlipOneByte(string path, long offset)
    {
        var before = System.IO.File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            int b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        System.IO.File.SetLastWriteTimeUtc(path, before.AddSeconds(2));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a mapped file may still be open; the OS temp cleaner gets it
        }
    }
}
