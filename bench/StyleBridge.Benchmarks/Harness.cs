using System.Diagnostics;
using System.Text.Json;

namespace StyleBridge.Benchmarks;

/// <summary>Timing and the Python side of each comparison. Every figure is a median over timed runs after warm-up.</summary>
internal static class Harness
{
    public static double MedianSeconds(Action body, int warmup, int iterations)
    {
        for (int i = 0; i < warmup; i++)
            body();
        var times = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(times);
        return times[iterations / 2];
    }

    /// <summary>Runs one of bench/python/*.py and returns its JSON lines by "name".</summary>
    public static Dictionary<string, JsonElement> RunPython(string script, params string[] args)
    {
        string path = Path.Combine(RepoRoot(), "bench", "python", script);
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        // stderr drains concurrently: reading the two pipes one after the other can deadlock on a chatty child
        var stderrTask = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string stderr = stderrTask.GetAwaiter().GetResult();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed: {stderr}");
        var result = new Dictionary<string, JsonElement>();
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.TrimStart().StartsWith('{'))
                continue;
            var doc = JsonDocument.Parse(line);
            result[doc.RootElement.GetProperty("name").GetString()!] = doc.RootElement.Clone();
        }

        return result;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "global.json")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    public static void Report(string name, double ours, double python, string unit)
    {
        Console.WriteLine($"{name}: C# {ours:F2} {unit}, python3-torch {python:F2} {unit}");
        Console.WriteLine(FormattableString.Invariant($"ratio {name} {ours / python:F3}"));
    }
}
