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

    /// <summary>
    /// Every model set under <paramref name="area"/> (e.g. <c>"stylegan2"</c>), in that folder and its subfolders, found
    /// by its files: <c>&lt;name&gt;_state.safetensors</c> with <c>&lt;name&gt;_config.json</c> and <c>&lt;name&gt;_io.safetensors</c>.
    /// </summary>
    public static IReadOnlyList<GoldenModelSet> ModelSets(string area)
    {
        const string stateSuffix = "_state.safetensors";
        string root = Path(area);
        var sets = new List<GoldenModelSet>();
        foreach (string dir in Directory.GetDirectories(root).Prepend(root).Order(StringComparer.Ordinal))
        {
            foreach (string state in Directory.GetFiles(dir, "*" + stateSuffix).Order(StringComparer.Ordinal))
            {
                string name = System.IO.Path.GetFileName(state)[..^stateSuffix.Length];
                var set = new GoldenModelSet(dir == root ? "" : System.IO.Path.GetFileName(dir), name, dir);
                if (File.Exists(set.ConfigPath) && File.Exists(set.IoPath))
                    sets.Add(set);
            }
        }

        if (sets.Count == 0)
            throw new InvalidOperationException($"no golden model sets under {root}");
        return sets;
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

/// <summary>
/// One golden model set: <c>&lt;name&gt;_state.safetensors</c>, <c>&lt;name&gt;_config.json</c> and
/// <c>&lt;name&gt;_io.safetensors</c> (optionally <c>&lt;name&gt;_ckpt.pt</c>) in <paramref name="Directory"/>, a folder
/// (<paramref name="Folder"/>, empty for the area itself) under a golden area.
/// </summary>
public sealed record GoldenModelSet(string Folder, string Name, string Directory)
{
    public string Id => Folder.Length == 0 ? Name : Folder + "/" + Name;
    public string StatePath => System.IO.Path.Combine(Directory, Name + "_state.safetensors");
    public string ConfigPath => System.IO.Path.Combine(Directory, Name + "_config.json");
    public string IoPath => System.IO.Path.Combine(Directory, Name + "_io.safetensors");
    public string CheckpointPath => System.IO.Path.Combine(Directory, Name + "_ckpt.pt");
    public override string ToString() => Id;
}
