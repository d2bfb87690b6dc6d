using System.Text.Json;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests.Edit;

/// <summary>
/// The golden edit sets, found by their files under <c>edit/</c>: <c>&lt;prefix&gt;_&lt;kind&gt;_config.json</c> with
/// <c>_io.safetensors</c>; a set uses the generator <c>stylegan2/rosinality/&lt;prefix&gt;_state.safetensors</c> and the
/// CLIP <c>clip/&lt;prefix&gt;_state.safetensors</c> (with its config).
/// </summary>
internal static class EditGolden
{
    private static readonly Dictionary<string, StateDict> Ios = [];

    public static IReadOnlyList<string> Sets(string kind)
    {
        string dir = GoldenData.Path("edit");
        return [.. Directory.GetFiles(dir, $"*_{kind}_config.json").Order(StringComparer.Ordinal)
            .Select(f => Path.GetFileName(f)[..^"_config.json".Length])
            .Where(name => File.Exists(Path.Combine(dir, name + "_io.safetensors")))];
    }

    public static TheoryData<string> SetsOf(string kind)
    {
        var data = new TheoryData<string>();
        foreach (string set in Sets(kind))
            data.Add(set);
        return data;
    }

    public static string Prefix(string set) => set[..set.LastIndexOf('_')];

    public static string ConfigPath(string set) => GoldenData.Path("edit", set + "_config.json");

    public static string StatePath(string set) => GoldenData.Path("edit", set + "_state.safetensors");

    public static JsonElement Config(string set) => JsonDocument.Parse(File.ReadAllText(ConfigPath(set))).RootElement.Clone();

    public static StateDict Io(string set)
    {
        lock (Ios)
        {
            if (!Ios.TryGetValue(set, out var io))
                Ios[set] = io = SafeTensors.Load(GoldenData.Path("edit", set + "_io.safetensors"));
            return io;
        }
    }

    public static string Metadata(string set, string key) => Io(set).Metadata[key];

    public static Generator Generator(string set, ScalarType dtype = ScalarType.Float32)
    {
        var g = StyleBridge.Models.StyleGan2.Generator.FromFile(GoldenData.Path("stylegan2", "rosinality", Prefix(set) + "_state.safetensors"));
        if (dtype != ScalarType.Float32)
            g.to(dtype);
        return g;
    }

    public static ClipModel Clip(string set, ScalarType dtype = ScalarType.Float32)
    {
        var model = ClipLoader.Load(GoldenData.Path("clip", Prefix(set) + "_state.safetensors"),
            c => c.WithJsonFile(GoldenData.Path("clip", Prefix(set) + "_config.json")));
        if (dtype != ScalarType.Float32)
            model.ToDevice(CPU, dtype);
        return model;
    }

    public static ClipTokenizer Tokenizer() => ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz"));
}
