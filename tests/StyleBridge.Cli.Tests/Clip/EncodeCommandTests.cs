using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests.Clip;

public sealed class EncodeCommandTests
{
    // README section 6: every float tensor of tiny_io within 1e-4 absolute
    private const double Tolerance = 1e-4;

    private static readonly string[] Outputs = ["text_features", "image_features", "logits_per_image", "logits_per_text"];

    /// <summary>Every weight container of every golden CLIP model: <c>&lt;name&gt;_state.safetensors</c>, <c>&lt;name&gt;_*.pt</c>.</summary>
    public static TheoryData<string, string> Containers()
    {
        var data = new TheoryData<string, string>();
        string folder = GoldenData.Path("clip");
        foreach (string state in Directory.GetFiles(folder, "*_state.safetensors").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(state)[..^"_state.safetensors".Length];
            data.Add(name, Path.GetFileName(state));
            foreach (string pt in Directory.GetFiles(folder, name + "_*.pt").Order(StringComparer.Ordinal))
                data.Add(name, Path.GetFileName(pt));
        }

        return data;
    }

    [Fact]
    public void Every_container_kind_is_found()
    {
        var files = Containers().Select(row => (string)row[1]).ToList();
        Assert.Contains(files, f => f.EndsWith("_state.safetensors", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("_state_dict.pt", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("_jit.pt", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Containers))]
    public void Texts_and_images_give_the_golden_features_and_logits(string name, string container)
    {
        AssertEncodes(name, container, ["text_ids", "images"], Outputs);
    }

    [Fact]
    public void Batches_smaller_than_the_inputs_give_the_same_results()
    {
        string name = (string)Containers().First()[0];
        AssertEncodes(name, name + "_state.safetensors", ["text_ids", "images"], Outputs, "--batch-size", "3");
    }

    [Fact]
    public void Texts_alone_give_text_features_only()
    {
        string name = (string)Containers().First()[0];
        AssertEncodes(name, name + "_state.safetensors", ["text_ids"], ["text_features"]);
    }

    private static void AssertEncodes(string name, string container, string[] inputNames, string[] expected, params string[] extra)
    {
        using var scope = NewDisposeScope();
        using var temp = new TempDirectory();
        using var golden = SafeTensors.Load(GoldenData.Path("clip", name + "_io.safetensors"));
        string inputs = temp.File("in.safetensors");
        string output = temp.File("out.safetensors");
        SafeTensors.Save(inputs, inputNames.Select(n => new KeyValuePair<string, Tensor>(n, golden[n])));

        var result = Cli.Succeed([
            "clip", "encode",
            "--weights", GoldenData.Path("clip", container),
            "--config", GoldenData.Path("clip", name + "_config.json"),
            "--inputs", inputs, "--out", output, .. extra,
        ]);

        using var written = SafeTensors.Load(output);
        Assert.Equal(expected.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
        foreach (string tensor in expected)
        {
            TensorDiff.Close(written[tensor], golden[tensor], Tolerance, $"{container} {tensor}");
            Assert.Contains(tensor, result.Output);
        }
    }
}
