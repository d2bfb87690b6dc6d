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
