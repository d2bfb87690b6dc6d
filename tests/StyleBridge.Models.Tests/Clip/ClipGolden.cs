using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests;

/// <summary>
/// A golden CLIP model set, discovered by file name in the golden <c>clip</c> folder:
/// <c>&lt;name&gt;_state.safetensors</c>, <c>&lt;name&gt;_config.json</c>, <c>&lt;name&gt;_io.safetensors</c>, and every
/// other weight container <c>&lt;name&gt;_*.pt</c> (<c>torch.save</c>, TorchScript).
/// </summary>
internal sealed record ClipModelSet(string Name, string StatePath, string ConfigPath, string IoPath, IReadOnlyList<string> Containers);

internal static class ClipGolden
{
    private const string StateSuffix = "_state.safetensors";

    public static string Folder => GoldenData.Path("clip");

    public static IReadOnlyList<ClipModelSet> ModelSets()
    {
        var sets = new List<ClipModelSet>();
        foreach (string state in Directory.GetFiles(Folder, "*" + StateSuffix).Order(StringComparer.Ordinal))
        {
            string file = Path.GetFileName(state);
            string name = file[..^StateSuffix.Length];
            string config = Path.Combine(Folder, name + "_config.json");
            string io = Path.Combine(Folder, name + "_io.safetensors");
            var containers = new List<string> { state };
            containers.AddRange(Directory.GetFiles(Folder, name + "_*.pt").Order(StringComparer.Ordinal));
            sets.Add(new ClipModelSet(name, state, config, io, containers));
        }

        return sets;
    }

    public static ClipModelSet ModelSet(string name) => ModelSets().Single(s => s.Name == name);

    /// <summary>(set name, container file name) pairs for theories.</summary>
    public static TheoryData<string, string> Containers()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in ModelSets())
            foreach (string container in set.Containers)
                data.Add(set.Name, Path.GetFileName(container));
        return data;
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var set in ModelSets())
            data.Add(set.Name);
        return data;
    }

    /// <summary>The golden state dict as plain tensors (the test owns it).</summary>
    public static StateDict LoadState(ClipModelSet set) => SafeTensors.Load(set.StatePath);
}
