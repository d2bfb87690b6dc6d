using System.Text.Json;

namespace StyleBridge.Cli.Tests.Clip;

public sealed class TokenizeCommandTests
{
    // plain, contraction, non-ASCII, emoji, a literal <|endoftext|>, and a curly apostrophe that only ftfy maps to '
    private static readonly int[] Cases = [0, 67, 123, 143, 186, 165];

    private static string Vocab => GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz");

    private static JsonElement Case(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(GoldenData.Path("clip", "tokenizer_cases.json")));
        var found = doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("index").GetInt32() == index);
        return found.Clone();
    }

    private static long[] Ids(JsonElement c, string field = "ids") => c.GetProperty(field).EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static long[][] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonSerializer.Deserialize<long[]>(line)!).ToArray();

    [Fact]
    public void Prints_one_json_line_of_golden_ids_per_text_in_order()
    {
        var cases = Cases.Select(Case).ToArray();
        var result = Cli.Succeed(["clip", "tokenize", "--vocab", Vocab, .. cases.Select(c => c.GetProperty("text").GetString()!)]);

        var lines = Lines(result.Output);
        Assert.Equal(cases.Length, lines.Length);
        for (int i = 0; i < cases.Length; i++)
            Assert.True(Ids(cases[i]).SequenceEqual(lines[i]), $"case {Cases[i]}: got [{string.Join(", ", lines[i])}]");
    }

    [Fact]
    public void No_ftfy_gives_the_ids_without_ftfy()
    {
        var c = Case(165);
        Assert.True(c.GetProperty("ftfy_changes_ids").GetBoolean());
        var result = Cli.Succeed("clip", "tokenize", "--vocab", Vocab, "--no-ftfy", c.GetProperty("text").GetString()!);
        Assert.Equal(Ids(c, "ids_without_ftfy"), Assert.Single(Lines(result.Output)));
    }

    [Fact]
    public void Overlong_text_fails_without_truncate_and_matches_the_golden_ids_with_it()
    {
        var c = Case(169);
        Assert.True(c.GetProperty("truncated").GetBoolean());
        string text = c.GetProperty("text").GetString()!;

        var refused = Cli.Run("clip", "tokenize", "--vocab", Vocab, text);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal("", refused.Output);
        Assert.StartsWith("error:", refused.Error);
        Assert.Contains("--truncate", refused.Error);

        var cut = Cli.Succeed("clip", "tokenize", "--vocab", Vocab, "--truncate", text);
        Assert.Equal(Ids(c), Assert.Single(Lines(cut.Output)));
    }
}
