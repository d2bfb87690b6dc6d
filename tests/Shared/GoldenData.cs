namespace StyleBridge.Tests.Shared;

/// <summary>
/// Locates the golden reference data: <c>STYLEBRIDGE_GOLDEN_DIR</c> if set, else <c>&lt;repo root&gt;/../shared/golden</c>,
/// where the repository root is the first ancestor of the test assembly's directory that contains <c>global.json</c>.
/// </summary>
public static class GoldenData
{
    public const string EnvironmentVariable = "STYLEBRIDGE_GOLDEN_DIR";

    private static readonly Lazy<string> RootDirectory = new(Resolve);

    public static string Root => RootDirectory.Value;

    /// <summary>Full path of a file under the golden directory, e.g. <c>Path("clip", "tokenizer_cases.json")</c>.</summary>
    public static string Path(params string[] parts)
    {
        string path = System.IO.Path.Combine([Root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"Golden file '{path}' does not exist (golden directory: {Root}).", path);
        }
        return path;
    }

    private static string Resolve()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        string root = string.IsNullOrWhiteSpace(fromEnvironment)
            ? System.IO.Path.Combine(FindRepositoryRoot(), "..", "shared", "golden")
            : fromEnvironment;
        root = System.IO.Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException(
                $"Golden data directory '{root}' does not exist. Set {EnvironmentVariable} to the folder holding the golden data.");
        }
        return root;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "global.json"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException(
            $"No ancestor of '{AppContext.BaseDirectory}' contains global.json; set {EnvironmentVariable} instead.");
    }
}
