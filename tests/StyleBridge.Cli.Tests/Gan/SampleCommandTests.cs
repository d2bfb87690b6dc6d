using System.Text.Json;
using StyleBridge.Imaging;

namespace StyleBridge.Cli.Tests.Gan;

public sealed class SampleCommandTests
{
    /// <summary>The rosinality <c>.pt</c> checkpoint and the image size its config gives.</summary>
    private static (string Checkpoint, int Size) RosinalityCheckpoint()
    {
        var set = StyleGanGolden.Sets().First(s => s.Folder == "rosinality" && File.Exists(s.CheckpointPath));
        using var config = JsonDocument.Parse(File.ReadAllText(set.ConfigPath));
        return (set.CheckpointPath, config.RootElement.GetProperty("constructor").GetProperty("size").GetInt32());
    }

    private static byte[] Sample(TempDirectory temp, string checkpoint, long seed, string name)
    {
        string png = temp.File(name);
        var result = Cli.Succeed("gan", "sample", "--weights", checkpoint, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", png);
        Assert.Contains(png, result.Output);
        return File.ReadAllBytes(png);
    }

    [Fact]
    public void Writes_a_png_of_the_model_resolution_that_depends_only_on_the_seed()
    {
        var (checkpoint, size) = RosinalityCheckpoint();
        using var temp = new TempDirectory();

        byte[] first = Sample(temp, checkpoint, 3, "x.png");
        var image = ImageDecoder.Decode(first, null, out var info);
        Assert.Equal(ImageFormat.Png, info.Format);
        Assert.Equal(size, image.Width);
        Assert.Equal(size, image.Height);
        Assert.True(image.Pixels.Distinct().Count() > 2, "the sample is (nearly) flat");

        Assert.Equal(first, Sample(temp, checkpoint, 3, "again.png"));

        var other = ImageDecoder.Decode(Sample(temp, checkpoint, 4, "y.png"));
        Assert.NotEqual(image.Pixels, other.Pixels);
    }
}
