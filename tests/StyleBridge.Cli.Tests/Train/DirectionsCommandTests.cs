using StyleBridge.Engine.ModelSets;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests.Train;

/// <summary><c>stylebridge train directions</c> on the golden tiny models.</summary>
public sealed class DirectionsCommandTests
{
    [Fact]
    public void Writes_fs3_and_the_statistics_into_a_new_directory_and_records_them()
    {
        using var set = new TestModelSet();
        // a directory that does not exist yet: the command makes it before the work, not after
        string output = set.File(Path.Combine("new", "deeper", "directions.safetensors"));
        var result = Cli.Succeed("train", "directions", "--models", set.Root, "--samples", "1", "--statistics", "8", "--threads", "1", "--out", output);
        Assert.Contains("recorded", result.Output);
        using var weights = SafeTensors.Load(output);
        Assert.NotEmpty(weights);
        var manifest = ModelManifest.Load(Path.GetDirectoryName(output)!);
        Assert.NotNull(manifest.Find("directions.safetensors"));
    }
}
