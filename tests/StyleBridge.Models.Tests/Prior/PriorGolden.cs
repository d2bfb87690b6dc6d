using System.Globalization;
using System.Text.Json;
using StyleBridge.Models.Prior;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests.Prior;

/// <summary>One sampling run of a golden prior set, as its io metadata describes it.</summary>
internal sealed record PriorRun(string Name, double CondScale, int Skip, double Truncation, long Seed, int LatentRepeats);

/// <summary>The golden prior sets (found by their files under <c>prior/</c>) and their io files, cached per process.</summary>
internal static class PriorGolden
{
    private static readonly Dictionary<string, StateDict> Ios = [];
    private static readonly Dictionary<string, LatentPrior> Priors = [];

    public static IReadOnlyList<GoldenModelSet> Sets() => GoldenData.ModelSets("prior");

    public static GoldenModelSet Set(string id) => Sets().Single(s => s.Id == id);

    public static TheoryData<string> SetIds()
    {
        var data = new TheoryData<string>();
        foreach (var set in Sets())
            data.Add(set.Id);
        return data;
    }

    public static TheoryData<string, string> RunCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in Sets())
            foreach (var run in Runs(set))
                data.Add(set.Id, run.Name);
        return data;
    }

    public static StateDict Io(GoldenModelSet set)
    {
        lock (Ios)
        {
            if (!Ios.TryGetValue(set.Id, out var io))
                Ios[set.Id] = io = SafeTensors.Load(set.IoPath);
            return io;
        }
    }

    /// <summary>The set's prior from its safetensors state, loaded once (tests must not change it).</summary>
    public static LatentPrior Prior(GoldenModelSet set)
    {
        lock (Priors)
        {
            if (!Priors.TryGetValue(set.Id, out var prior))
                Priors[set.Id] = prior = LatentPrior.FromFile(set.StatePath, LatentRepeats(set));
            return prior;
        }
    }

    public static JsonElement Metadata(GoldenModelSet set, string key) =>
        JsonDocument.Parse(Io(set).Metadata[key]).RootElement.Clone();

    public static IReadOnlyList<PriorRun> Runs(GoldenModelSet set) =>
        [.. Metadata(set, "runs").EnumerateArray().Select(r => new PriorRun(
            r.GetProperty("name").GetString()!,
            r.GetProperty("cond_scale").GetDouble(),
            r.GetProperty("skip").GetInt32(),
            r.GetProperty("truncation").GetDouble(),
            r.GetProperty("seed").GetInt64(),
            r.GetProperty("latent_repeats").GetInt32()))];

    public static int LatentRepeats(GoldenModelSet set)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(set.ConfigPath));
        return config.RootElement.GetProperty("constructor_arguments").GetProperty("LatentPrior")
            .GetProperty("latent_repeats")[0].GetInt32();
    }

    /// <summary>The skips whose tables the io file holds (<c>sched.skip{S}.*</c>).</summary>
    public static IEnumerable<int> ScheduleSkips(GoldenModelSet set) =>
        Io(set).Keys.Where(k => k.StartsWith("sched.skip", StringComparison.Ordinal))
            .Select(k => int.Parse(k["sched.skip".Length..k.IndexOf('.', "sched.skip".Length)], CultureInfo.InvariantCulture))
            .Distinct().Order();
}
