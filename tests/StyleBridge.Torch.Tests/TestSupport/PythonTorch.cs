using System.Diagnostics;
using System.Text.Json;

namespace StyleBridge.Torch.Tests.TestSupport;

/// <summary>
/// Runs a Python snippet on Debian's python3-torch (1.13; TorchSharp brings its own libtorch) and returns what it prints.
/// `make test` installs python3-torch, so a missing interpreter is a failure, not a skip.
/// </summary>
public static class PythonTorch
{
    public const string Interpreter = "/usr/bin/python3";

    public static string Run(string script, string? stdin = null)
    {
        var psi = new ProcessStartInfo(Interpreter, ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + Interpreter);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin ?? "");
        process.StandardInput.Close();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python reference timed out");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"python reference failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Runs a script that prints one JSON object mapping names to flat float lists.</summary>
    public static Dictionary<string, double[]> RunForArrays(string script, string? stdin = null)
    {
        string output = Run(script, stdin);
        var doc = JsonDocument.Parse(output);
        var result = new Dictionary<string, double[]>();
        foreach (var prop in doc.RootElement.EnumerateObject())
            result[prop.Name] = prop.Value.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return result;
    }

    public const string Prelude = "import json, torch\nimport torch.nn.functional as F\ntorch.set_num_threads(1)\nout = {}\ndef put(name, t):\n    out[name] = t.detach().double().flatten().tolist()\n";

    public const string Epilogue = "\nprint(json.dumps(out))\n";
}
