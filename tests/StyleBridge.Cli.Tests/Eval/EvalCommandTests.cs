namespace StyleBridge.Cli.Tests.Eval;

/// <summary><c>stylebridge eval --sections</c> on the golden tiny models: only the sections named are measured.</summary>
public sealed class EvalCommandTests
{
    [Fact]
    public void Measures_only_the_sections_named()
    {
        using var set = new TestModelSet();
        string clipOnly = set.File(Path.Combine("clip", "quality.md"));
        Cli.Succeed("eval", "--models", set.Root, "--sections", "clip", "--renders", "24", "--out", clipOnly);
        string page = File.ReadAllText(clipOnly);
        Assert.Contains("## CLIP", page);
        Assert.Contains("Sections measured: clip (`--sections`)", page);

        string none = set.File(Path.Combine("generator", "quality.md"));
        Cli.Succeed("eval", "--models", set.Root, "--sections", "generator", "--renders", "24", "--out", none);
        Assert.DoesNotContain("## CLIP", File.ReadAllText(none));
    }

    [Fact]
    public void Refuses_a_section_it_does_not_have()
    {
        using var set = new TestModelSet();
        var result = Cli.Run("eval", "--models", set.Root, "--sections", "everything", "--out", set.File("quality.md"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(set.File("quality.md")));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-0.5")]
    [InlineData("NaN")]
    public void Refuses_a_csla_strength_outside_zero_to_two(string alpha)
    {
        using var set = new TestModelSet();
        var result = Cli.Run("eval", "--models", set.Root, "--sections", "text-to-image", "--csla-strengths", "1", alpha, "--out", set.File("quality.md"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--csla-strengths", result.Error);
        Assert.False(File.Exists(set.File("quality.md")));
    }
}
