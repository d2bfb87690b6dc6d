using StyleBridge.Models.Clip;

namespace StyleBridge.Engine.Tests.World;

public class CaptionTokenizationTests
{
    private static readonly Lazy<ClipTokenizer> Tokenizer =
        new(() => ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz")));

    // What CLIP's decode gives back for a grammar caption: lower case, every pre-token followed by a space.
    private static string ExpectedDecoding(string caption) => caption.ToLowerInvariant().Replace(",", " ,") + " ";

    private static void AssertFitsAndRoundTrips(string caption)
    {
        var ids = Tokenizer.Value.Encode(caption);
        Assert.True(ids.Count + 2 <= ClipTokenizer.ContextLength, $"\"{caption}\" needs {ids.Count + 2} tokens");
        Assert.Equal(ExpectedDecoding(caption), Tokenizer.Value.Decode(ids));
    }

    [Fact]
    public void EveryGrammarWord_RoundTripsInAtMostTwoTokens()
    {
        foreach (string word in CaptionWords.AllWords)
        {
            var ids = Tokenizer.Value.Encode(word);
            Assert.InRange(ids.Count, 1, 2);
            Assert.Equal(word + " ", Tokenizer.Value.Decode(ids));
        }
    }

    [Fact]
    public void SampledCaptions_FitTheContextAndRoundTrip()
    {
        var sampler = new ShapeSampler(31);
        var scenes = sampler.SampleBatch(3000);
        foreach (var caption in sampler.TrainingCaptions(scenes).Concat(sampler.EvaluationCaptions(scenes)))
            AssertFitsAndRoundTrips(caption.Text);
    }

    [Fact]
    public void LongestCaptions_FitTheContext()
    {
        // every five-attribute combination in every form and word choice the grammar samples
        var random = new WorldRandom(32);
        int longest = 0;
        foreach (var attributes in ShapeAttributes.All())
        {
            for (int i = 0; i < 8; i++)
            {
                string text = CaptionGrammar.Compose(NamedAttributes.All(attributes), random).Text;
                AssertFitsAndRoundTrips(text);
                longest = Math.Max(longest, Tokenizer.Value.Encode(text).Count);
            }
        }
        Assert.InRange(longest, 8, 20);
    }

    [Fact]
    public void Tokenize_AcceptsEveryZeroShotPrompt()
    {
        foreach (var attribute in ShapeAttributes.Attributes)
        {
            foreach (string prompt in CaptionGrammar.ZeroShotPrompts(attribute))
            {
                long[] row = Tokenizer.Value.Tokenize(prompt);
                Assert.Equal(ClipTokenizer.ContextLength, row.Length);
                Assert.Equal(Tokenizer.Value.StartOfTextId, row[0]);
            }
        }
    }
}
