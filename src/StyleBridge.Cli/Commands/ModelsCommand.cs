using System.CommandLine;
using System.Globalization;
using StyleBridge.Engine.ModelSets;

namespace StyleBridge.Cli.Commands;

/// <summary>
/// <c>stylebridge models record --file F --command C --seed S [--revision R] [--metric name=value ...]</c>: records a
/// file of a model set in its manifest (SHA-256, size, provenance, metrics). The train commands do this themselves;
/// this is for a file made by a run whose binary predates that step, or by hand.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file") { Description = "the file, inside its model set directory", Required = true };
        var commandLine = new Option<string>("--command") { Description = "the command that produced it", Required = true };
        var seed = new Option<long?>("--seed") { Description = "its seed" };
        var revision = new Option<string?>("--revision") { Description = "git revision of the code that produced it (default: this checkout's)" };
        var metrics = new Option<string[]>("--metric") { Description = "name=value, repeatable", AllowMultipleArgumentsPerToken = true };
        var record = new Command("record", "Record a model file in its set's manifest.json") { file, commandLine, seed, revision, metrics };
        record.SetAction(result =>
        {
            try
            {
                var parsed = (result.GetValue(metrics) ?? []).Select(m => m.Split('=', 2)).ToDictionary(
                    p => p[0], p => p.Length == 2 ? double.Parse(p[1], CultureInfo.InvariantCulture) : throw new FormatException($"metric '{p[0]}' needs name=value"));
                string path = Path.GetFullPath(result.GetValue(file)!);
                var entry = ModelManifest.Upsert(Path.GetDirectoryName(path)!, Path.GetFileName(path), result.GetValue(commandLine)!,
                    result.GetValue(seed), result.GetValue(revision) ?? Provenance.Revision(), parsed);
                result.InvocationConfiguration.Output.WriteLine($"{Path.GetFileName(path)}: sha256 {entry.Sha256}, {entry.Bytes} bytes");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException or UnauthorizedAccessException or ModelSetException)
            {
                result.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("models", "Model sets and their manifests") { record };
    }
}
