using System.Text.Json;
using StyleBridge.Engine.ModelSets;

namespace StyleBridge.Engine.Tests.ModelSets;

public sealed class ModelManifestTests
{
    // SHA-256("abc"), FIPS 180-2 appendix B.1
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Save_then_load_gives_the_same_entries_in_ordinal_order()
    {
        using var dir = new ModelSetTestDirectory();
        var manifest = new ModelManifest();
        manifest.Files["stylegan2.safetensors"] = new ModelFileEntry
        {
            Sha256 = new string('b', 64), Bytes = 42, Command = "stylebridge train gan --steps 10", Seed = 7, Revision = "abc123",
            Created = "2025-01-02T03:04:05Z", Metrics = new() { ["fid"] = 12.5, ["Attribute_accuracy"] = 0.875, ["a"] = 1e-7 },
        };
        manifest.Files["clip.safetensors"] = new ModelFileEntry
        {
            Sha256 = new string('a', 64), Bytes = 1, Command = "stylebridge train clip", Seed = null, Revision = "def456",
            Created = "2025-01-01T00:00:00Z",
        };
        string path = dir.File(ModelManifest.FileName);
        manifest.Save(path);

        var loaded = ModelManifest.Load(path);
        Assert.Equal(["clip.safetensors", "stylegan2.safetensors"], loaded.Files.Keys);
        foreach (var (name, entry) in manifest.Files)
        {
            var back = loaded.Files[name];
            Assert.Equal(entry with { Metrics = back.Metrics }, back);
            Assert.Equal(entry.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal), back.Metrics);
        }

        string text = File.ReadAllText(path);
        Assert.Contains("\n", text);
        Assert.True(text.IndexOf("clip.safetensors", StringComparison.Ordinal) < text.IndexOf("stylegan2.safetensors", StringComparison.Ordinal));
        // ordinal, not culture order: upper case first
        Assert.True(text.IndexOf("Attribute_accuracy", StringComparison.Ordinal) < text.IndexOf("\"a\"", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(text);
        var clip = json.RootElement.GetProperty("files").GetProperty("clip.safetensors");
        Assert.Equal(["sha256", "bytes", "command", "seed", "revision", "created", "metrics"], clip.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, clip.GetProperty("seed").ValueKind);

        // saving what was loaded reproduces the file byte for byte
        string again = dir.File("again.json");
        loaded.Save(again);
        Assert.Equal(text, File.ReadAllText(again));
    }

    [Fact]
    public void Upsert_hashes_the_file_and_replaces_an_earlier_entry()
    {
        using var dir = new ModelSetTestDirectory();
        dir.Write("model.bin", "abc"u8.ToArray());
        dir.Write("other.bin", "xyz"u8.ToArray());

        var created = new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.FromHours(2));
        var entry = ModelManifest.Upsert(dir.Root, "model.bin", "make it", 3, "rev1", new Dictionary<string, double> { ["acc"] = 0.5 }, created);
        Assert.Equal(AbcSha256, entry.Sha256);
        Assert.Equal(3, entry.Bytes);
        Assert.Equal("2025-06-07T06:09:10Z", entry.Created);
        ModelManifest.Upsert(dir.Root, "other.bin", "other", null, "rev1");

        var replaced = ModelManifest.Upsert(dir.Root, "model.bin", "make it again", 4, "rev2", new Dictionary<string, double> { ["acc"] = 0.75 });
        var loaded = ModelManifest.Load(dir.Root);
        Assert.Equal(["model.bin", "other.bin"], loaded.Files.Keys);
        Assert.Equal(replaced with { Metrics = loaded.Files["model.bin"].Metrics }, loaded.Files["model.bin"]);
        Assert.Equal("make it again", loaded.Files["model.bin"].Command);
        Assert.Equal(0.75, loaded.Files["model.bin"].Metrics["acc"]);
        Assert.False(File.Exists(dir.File(ModelManifest.FileName + ".tmp")));
    }

    [Fact]
    public void Hash_streams_a_file_larger_than_its_buffer()
    {
        using var dir = new ModelSetTestDirectory();
        var bytes = new byte[(3 << 20) + 17];
        new Random(5).NextBytes(bytes);
        string path = dir.Write("big.bin", bytes);
        var (sha, length) = ModelManifest.Hash(path);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), sha);
        Assert.Equal(bytes.Length, length);
    }

    [Fact]
    public void Non_finite_metrics_are_refused_when_writing()
    {
        var manifest = new ModelManifest();
        manifest.Files["x"] = new ModelFileEntry { Sha256 = new string('0', 64), Metrics = new() { ["loss"] = double.NaN } };
        Assert.Throws<ArgumentException>(manifest.ToJson);
    }

    [Fact]
    public void A_manifest_with_a_malformed_hash_or_bad_json_is_refused()
    {
        using var dir = new ModelSetTestDirectory();
        string path = dir.File(ModelManifest.FileName);
        File.WriteAllText(path, """{ "files": { "clip.safetensors": { "sha256": "abc" } } }""");
        var e = Assert.Throws<ModelSetException>(() => ModelManifest.Load(path));
        Assert.Contains("clip.safetensors", e.Message);

        File.WriteAllText(path, "{ not json");
        Assert.Throws<ModelSetException>(() => ModelManifest.Load(path));

        Assert.Throws<ModelSetException>(() => ModelManifest.Load(dir.File("absent.json")));
    }
}
