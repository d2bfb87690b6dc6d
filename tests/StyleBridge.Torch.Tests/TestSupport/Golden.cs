namespace StyleBridge.Torch.Tests.TestSupport;

/// <summary>
/// Locates the repository and the golden data: <c>STYLEBRIDGE_GOLDEN_DIR</c>, else
/// <c>../shared/golden</c> next to the repository root (the folder holding <c>Api.sln</c> or <c>global.json</c>).
/// </summary>
public static class Golden
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    public static string Dir
    {
        get
        {
            string? fromEnv = Environment.GetEnvironmentVariable("STYLEBRIDGE_GOLDEN_DIR");
            return string.IsNullOrEmpty(fromEnv)
                ? Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "golden"))
                : Path.GetFullPath(fromEnv);
        }
    }

    /// <summary>A golden file, e.g. <c>Golden.File("clip", "tiny_state.safetensors")</c>; fails the test if it is missing.</summary>
    public static string File(params string[] parts)
    {
        string path = Path.Combine([Dir, .. parts]);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"golden file missing: {path} (set STYLEBRIDGE_GOLDEN_DIR to the golden folder)", path);
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Api.sln")) || System.IO.File.Exists(Path.Combine(dir.FullName, "global.json")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no folder holding Api.sln or global.json above {AppContext.BaseDirectory}");
    }
}
