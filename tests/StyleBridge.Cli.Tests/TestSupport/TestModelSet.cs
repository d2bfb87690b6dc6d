using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests;

/// <summary>
/// A model set built from the golden tiny models in a temp directory: <c>clip.safetensors</c> (the tiny CLIP with its
/// configuration in the <c>clip_config</c> metadata), <c>stylegan2.safetensors</c> (the rosinality tiny generator, 32 px),
/// the vocabulary, and a manifest recording all three.
/// </summary>
internal sealed class TestModelSet : IDisposable
{
    public const int GeneratorSize = 32;

    private readonly TempDirectory temp = new();

    public TestModelSet()
    {
        Directory.CreateDirectory(Root);
        using (var clip = GoldenClip())
        {
            SafeTensors.Save(System.IO.Path.Combine(Root, ModelSet.ClipFile), StateDicts.Of(clip),
                new Dictionary<string, string> { [ModelSet.ClipConfigMetadataKey] = clip.Config.ToJson() });
        }

        System.IO.File.Copy(GoldenData.Path("stylegan2", "rosinality", "tiny_state.safetensors"), System.IO.Path.Combine(Root, ModelSet.GeneratorFile));
        System.IO.File.Copy(GoldenData.Path("clip", ModelSet.VocabFile), System.IO.Path.Combine(Root, ModelSet.VocabFile));
        foreach (string name in new[] { ModelSet.ClipFile, ModelSet.GeneratorFile, ModelSet.VocabFile })
            ModelManifest.Upsert(Root, name, "copied from the golden tiny models", 0, "test", new Dictionary<string, double> { ["none"] = 0 });
    }

    /// <summary>The set's directory.</summary>
    public string Root => temp.File("set");

    /// <summary>A scratch path beside the set.</summary>
    public string File(string name) => temp.File(name);

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    /// <summary>The golden tiny CLIP with its real configuration (2 text heads), loaded independently of the set.</summary>
    public static ClipModel GoldenClip() =>
        ClipLoader.Load(GoldenData.Path("clip", "tiny_state.safetensors"), c => c.WithJsonFile(GoldenData.Path("clip", "tiny_config.json")));

    /// <summary>Flips every bit of one byte of a set file, keeping its length.</summary>
    public void Tamper(string name, long offset) => FileEdits.FlipOneByte(PathOf(name), offset);

    public void Dispose() => temp.Dispose();
}
