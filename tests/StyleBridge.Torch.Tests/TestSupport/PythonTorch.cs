using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StyleBridge.Torch;

namespace StyleBridge.Torch.Tests.TestSupport;

/// <summary>
/// Runs a Python snippet on Debian's python3-torch (the same libtorch build as ours) and returns what it prints.
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

    /// <summary>A float tensor as a Python expression that rebuilds it exactly.</summary>
    public static string Literal(Tensor t)
    {
        using var f = t.To(ScalarType.Float64);
        var values = f.ToArray<double>();
        var sb = new StringBuilder("torch.tensor([");
        sb.AppendJoin(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        sb.Append($"], dtype=torch.float64).to(torch.{PyDtype(t.Dtype)}).reshape({string.Join(",", t.Shape)}{(t.Dim == 1 ? "," : "")})");
        return sb.ToString();
    }

    private static string PyDtype(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        _ => throw new NotSupportedException(t.ToString()),
    };

    public const string Prelude = "import json, torch\nimport torch.nn.functional as F\ntorch.set_num_threads(1)\nout = {}\ndef put(name, t):\n    out[name] = t.detach().double().flatten().tolist()\n";

    public const string Epilogue = "\nprint(json.dumps(out))\n";
}
