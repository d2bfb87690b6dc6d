using System.Diagnostics;
using StyleBridge.Cli.Tests.Gan;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests;

/// <summary>
/// Request-shaped bad inputs run through the real executable in a child process: some TorchSharp exports abort the
/// process on a C++ error, and an abort must fail this test rather than kill the test runner. Each case must end
/// with exit code 1 and a one-line message, never by a signal.
/// </summary>
public sealed class ChildProcessBadInputTests
{
    private static string ClipName => Path.GetFileName(Directory.GetFiles(GoldenData.Path("clip"), "*_state.safetensors").Order(StringComparer.Ordinal).First())[..^"_state.safetensors".Length];

    private static (int ExitCode, string Error) RunChild(params string[] args)
    {
        string exe = Path.Combine(AppContext.BaseDirectory, "stylebridge.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(exe);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "the CLI did not finish");
        return (process.ExitCode, stderr.Result.Trim());
    }

    private static void AssertCleanFailure((int ExitCode, string Error) result, string mentions)
    {
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode} (128+n is a signal): {result.Error}");
        Assert.StartsWith("error:", result.Error);
        Assert.DoesNotContain('\n', result.Error);
        Assert.Contains(mentions, result.Error);
    }

    [Fact]
    public void GanRunRefusesAZOfTheWrongWidth()
    {
        var set = StyleGanGolden.Sets().First(s => s.Folder == "rosinality");
        using var temp = new TempDirectory();
        string inputs = temp.File("z.safetensors");
        using (var z = randn(2, 7))
            SafeTensors.Save(inputs, [new("z", z)]);
        AssertCleanFailure(RunChild("gan", "run", "--weights", set.StatePath, "--inputs", inputs, "--out", temp.File("o.safetensors")), "z");
        Assert.False(File.Exists(temp.File("o.safetensors")));
    }

    [Fact]
    public void GanRunRefusesAWsOfTheWrongRank()
    {
        var set = StyleGanGolden.Sets().First(s => s.Folder == "rosinality");
        using var temp = new TempDirectory();
        string inputs = temp.File("ws.safetensors");
        using (var ws = randn(2, 3, 4, 5))
            SafeTensors.Save(inputs, [new("ws", ws)]);
        AssertCleanFailure(RunChild("gan", "run", "--weights", set.StatePath, "--inputs", inputs, "--out", temp.File("o.safetensors")), "W+");
    }

    [Fact]
    public void ClipEncodeRefusesTokenIdsLongerThanTheContext()
    {
        using var temp = new TempDirectory();
        string inputs = temp.File("ids.safetensors");
        using (var ids = ones(new long[] { 1, 500 }, ScalarType.Int64))
            SafeTensors.Save(inputs, [new("text_ids", ids)]);
        string weights = GoldenData.Path("clip", ClipName + "_state.safetensors");
        string config = GoldenData.Path("clip", ClipName + "_config.json");
        AssertCleanFailure(RunChild("clip", "encode", "--weights", weights, "--config", config, "--inputs", inputs, "--out", temp.File("o.safetensors")), "token ids");
    }

    [Theory]
    [InlineData("z", "empty")]
    [InlineData("ws", "empty")]
    public void GanRunRefusesEmptyBatches(string key, string kind)
    {
        var set = StyleGanGolden.Sets().First(s => s.Folder == "rosinality");
        using var temp = new TempDirectory();
        string inputs = temp.File("in.safetensors");
        using (var probe = StyleBridge.Models.StyleGan2.Generator.FromFile(set.StatePath))
        {
            long width = key == "z" ? probe.Config.ZDim : probe.Config.StyleDim;
            long[] shape = key == "z" ? [kind == "empty" ? 0 : 2, width] : [0, probe.NLatent, width];
            using var t = zeros(shape);
            SafeTensors.Save(inputs, [new(key, t)]);
        }
        AssertCleanFailure(RunChild("gan", "run", "--weights", set.StatePath, "--inputs", inputs, "--out", temp.File("o.safetensors")), "expected");
    }

    [Fact]
    public void ClipEncodeRefusesImagesOfTheWrongResolution()
    {
        using var temp = new TempDirectory();
        string inputs = temp.File("images.safetensors");
        using (var images = zeros(2, 3, 5, 5))
            SafeTensors.Save(inputs, [new("images", images)]);
        string weights = GoldenData.Path("clip", ClipName + "_state.safetensors");
        string config = GoldenData.Path("clip", ClipName + "_config.json");
        AssertCleanFailure(RunChild("clip", "encode", "--weights", weights, "--config", config, "--inputs", inputs, "--out", temp.File("o.safetensors")), "images");
    }

    [Theory]
    [InlineData("", "1", "prompt")]
    [InlineData("a blue square", "17", "num_candidates")]
    public void GenerateRefusesBadRequestsBeforeLoadingModels(string prompt, string candidates, string mentions)
    {
        using var temp = new TempDirectory();
        AssertCleanFailure(RunChild("generate", "--prompt", prompt, "--num-candidates", candidates, "--out", temp.File("out")), mentions);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public void InvertRefusesAFileThatIsNotAnImage()
    {
        using var temp = new TempDirectory();
        string fake = temp.File("fake.png");
        File.WriteAllText(fake, "not an image at all");
        AssertCleanFailure(RunChild("invert", "--image", fake, "--out", temp.File("out")), "image");
    }

    [Fact]
    public void EditRefusesALatentOfTheWrongShapeAndAmbiguousInputs()
    {
        using var temp = new TempDirectory();
        string latent = temp.File("latent.safetensors");
        using (var w = randn(1, 3, 5))
            SafeTensors.Save(latent, [new("w_plus", w)]);
        AssertCleanFailure(RunChild("edit", "--latent", latent, "--source", "a red shape", "--target", "a blue shape", "--method", "csla", "--out", temp.File("o.png")), "w_plus");
        AssertCleanFailure(RunChild("edit", "--latent", latent, "--image", latent, "--source", "a", "--target", "b", "--out", temp.File("o.png")), "exactly one");
        AssertCleanFailure(RunChild("edit", "--latent", latent, "--refine-steps", "5", "--source", "a", "--target", "b", "--out", temp.File("o.png")), "--refine-steps");
        AssertCleanFailure(RunChild("edit", "--latent", latent, "--colour-layers", "--source", "a", "--target", "b", "--out", temp.File("o.png")), "records no colour layer");
        Assert.False(File.Exists(temp.File("o.png")));
    }
}
