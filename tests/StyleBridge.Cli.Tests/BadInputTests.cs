using StyleBridge.Cli.Tests.Gan;

namespace StyleBridge.Cli.Tests;

/// <summary>Missing and malformed files end in a one-line error that names the file, not an exception dump.</summary>
public sealed class BadInputTests
{
    private static string ClipName => Path.GetFileName(Directory.GetFiles(GoldenData.Path("clip"), "*_state.safetensors").Order(StringComparer.Ordinal).First())[..^"_state.safetensors".Length];
    private static string ClipWeights => GoldenData.Path("clip", ClipName + "_state.safetensors");
    private static string ClipConfig => GoldenData.Path("clip", ClipName + "_config.json");
    private static GoldenModelSet Gan => StyleGanGolden.Sets().First();

    private static void AssertFailsNaming(CliResult result, string path)
    {
        Assert.True(result.ExitCode != 0, $"expected a failure:\n{result}");
        Assert.StartsWith("error:", result.Error);
        Assert.Contains(Path.GetFileName(path), result.Error);
        foreach (string stream in new[] { result.Output, result.Error })
        {
            Assert.DoesNotContain("   at ", stream);
            Assert.DoesNotContain("Unhandled exception", stream);
        }
    }

    private static string Garbage(TempDirectory temp)
    {
        string path = temp.File("malformed_inputs.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(12UL), .. "{\"z\": oops}"u8.ToArray()]);
        return path;
    }

    [Fact]
    public void Clip_encode_with_missing_weights()
    {
        using var temp = new TempDirectory();
        string missing = temp.File("no_such_clip.pt");
        var result = Cli.Run("clip", "encode", "--weights", missing, "--inputs", temp.File("in.safetensors"), "--out", temp.File("out.safetensors"));
        AssertFailsNaming(result, missing);
        Assert.False(File.Exists(temp.File("out.safetensors")));
    }

    [Fact]
    public void Clip_encode_with_malformed_inputs()
    {
        using var temp = new TempDirectory();
        string inputs = Garbage(temp);
        var result = Cli.Run("clip", "encode", "--weights", ClipWeights, "--config", ClipConfig, "--inputs", inputs, "--out", temp.File("out.safetensors"));
        AssertFailsNaming(result, inputs);
        Assert.False(File.Exists(temp.File("out.safetensors")));
    }

    [Fact]
    public void Clip_tokenize_with_missing_vocab()
    {
        using var temp = new TempDirectory();
        string missing = temp.File("no_such_vocab.txt.gz");
        AssertFailsNaming(Cli.Run("clip", "tokenize", "--vocab", missing, "a photo"), missing);
    }

    [Fact]
    public void Clip_tokenize_with_malformed_vocab()
    {
        using var temp = new TempDirectory();
        string vocab = temp.File("malformed_vocab.txt");
        File.WriteAllText(vocab, "#version: 0.2\nnot a merge\n");
        var result = Cli.Run("clip", "tokenize", "--vocab", vocab, "a photo");
        AssertFailsNaming(result, vocab);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public void Gan_run_with_missing_weights()
    {
        using var temp = new TempDirectory();
        string missing = temp.File("no_such_generator.pt");
        var result = Cli.Run("gan", "run", "--weights", missing, "--inputs", temp.File("in.safetensors"), "--out", temp.File("out.safetensors"));
        AssertFailsNaming(result, missing);
    }

    [Fact]
    public void Gan_run_with_malformed_inputs()
    {
        using var temp = new TempDirectory();
        string inputs = Garbage(temp);
        var result = Cli.Run("gan", "run", "--weights", Gan.StatePath, "--config", Gan.ConfigPath, "--inputs", inputs, "--out", temp.File("out.safetensors"));
        AssertFailsNaming(result, inputs);
        Assert.False(File.Exists(temp.File("out.safetensors")));
    }

    [Fact]
    public void Gan_sample_with_missing_weights()
    {
        using var temp = new TempDirectory();
        string missing = temp.File("no_such_generator.safetensors");
        var result = Cli.Run("gan", "sample", "--weights", missing, "--seed", "1", "--out", temp.File("x.png"));
        AssertFailsNaming(result, missing);
        Assert.False(File.Exists(temp.File("x.png")));
    }
}
