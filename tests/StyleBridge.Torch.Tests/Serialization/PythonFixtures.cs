using System.Diagnostics;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>
/// Runs <c>Fixtures/make_serialization_fixtures.py</c> once with <c>/usr/bin/python3</c> into a temp
/// folder. Tests using it are marked <see cref="PythonFactAttribute"/>, which skips them (with the
/// reason) only when that interpreter or its torch is missing.
/// </summary>
public sealed class PythonFixtures : IDisposable
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Unavailable = new(CheckPython);
    private readonly Lazy<string> _dir;

    public PythonFixtures() => _dir = new Lazy<string>(Generate);

    /// <summary>Why the fixtures cannot be made, or null when they can.</summary>
    public static string? SkipReason => Unavailable.Value;

    public string Dir => _dir.Value;

    public string File(string name) => Path.Combine(Dir, name);

    private static string Generate()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sb-serialization-" + Guid.NewGuid().ToString("N"));
        string script = Path.Combine(Golden.RepoRoot, "tests", "StyleBridge.Torch.Tests", "Fixtures", "make_serialization_fixtures.py");
        var (code, output) = Run(script, dir);
        if (code != 0)
            throw new InvalidOperationException($"{script} failed with exit code {code}:\n{output}");
        return dir;
    }

    private static string? CheckPython()
    {
        if (!System.IO.File.Exists(Python))
            return $"{Python} is missing (the build installs Python with torch; fixture tests need it)";
        var (code, output) = Run("-c", "import torch, numpy");
        return code == 0 ? null : $"{Python} cannot import torch and numpy: {output.Trim()}";
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    public void Dispose()
    {
        if (_dir.IsValueCreated && Directory.Exists(_dir.Value))
            Directory.Delete(_dir.Value, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class PythonFixturesCollection : ICollectionFixture<PythonFixtures>
{
    public const string Name = "Serialization python fixtures";
}

/// <summary>A fact that needs <c>/usr/bin/python3</c> with torch; skipped with the reason when it is missing.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (PythonFixtures.SkipReason is { } reason)
            Skip = reason;
    }
}

/// <summary>A theory that needs <c>/usr/bin/python3</c> with torch; skipped with the reason when it is missing.</summary>
public sealed class PythonTheoryAttribute : TheoryAttribute
{
    public PythonTheoryAttribute()
    {
        if (PythonFixtures.SkipReason is { } reason)
            Skip = reason;
    }
}
