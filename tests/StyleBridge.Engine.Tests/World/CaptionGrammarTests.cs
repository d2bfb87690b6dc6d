namespace StyleBridge.Engine.Tests.World;

public class CaptionGrammarTests
{
    private static readonly ShapeAttributes LargeRedCircleLeftBlack =
        new(Shape.Circle, ShapeColour.Red, ShapeSize.Large, ShapePosition.Left, Background.Black);

    private static (ShapeScene Scene, Caption Caption)[] Sample(ulong seed, int count, bool training)
    {
        var sampler = new ShapeSampler(seed);
        var scenes = sampler.SampleBatch(count);
        var captions = training ? sampler.TrainingCaptions(scenes) : sampler.EvaluationCaptions(scenes);
        return [.. scenes.Zip(captions)];
    }

    [Fact]
    public void TrainingCaptions_NeverNameAHeldOutPair()
    {
        var samples = Sample(21, 20000, training: true);
        foreach (var (scene, caption) in samples)
        {
            Assert.False(HeldOutPairs.NamedBy(caption.Named), caption.Text);
            Assert.False(HeldOutPairs.NamedBy(CaptionParser.Parse(caption.Text)), caption.Text);
        }

        // held-out scenes are still captioned, sometimes by colour, sometimes by shape
        var heldOut = samples.Where(s => HeldOutPairs.Contains(s.Scene.Attributes)).Select(s => s.Caption.Named).ToList();
        Assert.True(heldOut.Count > 500);
        Assert.Contains(heldOut, n => n.Colour is not null);
        Assert.Contains(heldOut, n => n.Shape is not null);
    }

    [Fact]
    public void EvaluationCaptions_DoNameHeldOutPairs()
    {
        var named = Sample(22, 20000, training: false).Count(s => HeldOutPairs.NamedBy(CaptionParser.Parse(s.Caption.Text)));
        // 1/6 of scenes are held-out pairs; a subset names colour and shape with probability 0.4
        Assert.InRange(named, 900, 1800);
    }

    [Fact]
    public void Captions_NameExactlyWhatTheyClaim_AndItIsTrue()
    {
        var counts = new int[6];
        foreach (var (scene, caption) in Sample(23, 5000, training: true).Concat(Sample(24, 5000, training: false)))
        {
            Assert.Equal(caption.Named, CaptionParser.Parse(caption.Text));
            Assert.True(caption.Named.Matches(scene.Attributes), $"{caption.Text} vs {scene.Attributes}");
            counts[caption.Named.Count]++;
        }
        Assert.Equal(0, counts[0]);
        Assert.All(counts[1..], c => Assert.InRange(c, 1500, 2500));
    }

    [Fact]
    public void AllThreeForms_Occur()
    {
        var texts = Sample(25, 3000, training: false).Select(s => s.Caption.Text).ToList();
        Assert.Contains(texts, t => t.Contains(", ") && !t.StartsWith("a ", StringComparison.Ordinal) && !t.StartsWith("something", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains(" background with ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("something", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.EndsWith(" background", StringComparison.Ordinal) && t.StartsWith("a ", StringComparison.Ordinal));
    }

    [Fact]
    public void SpecExamples_AreProduced()
    {
        var random = new WorldRandom(26);
        HashSet<string> Texts(NamedAttributes named) =>
            [.. Enumerable.Range(0, 3000).Select(_ => CaptionGrammar.Compose(named, random).Text)];

        Assert.Contains("a large red circle on the left on a black background", Texts(NamedAttributes.All(LargeRedCircleLeftBlack)));
        Assert.Contains("red circle, left side", Texts(new(Shape: Shape.Circle, Colour: ShapeColour.Red, Position: ShapePosition.Left)));
        Assert.Contains("a small cyan square at the top",
            Texts(new(Shape: Shape.Square, Colour: ShapeColour.Cyan, Size: ShapeSize.Small, Position: ShapePosition.Top)));
        Assert.Contains("a triangle", Texts(new(Shape: Shape.Triangle)));
        Assert.Contains("something blue on a white background", Texts(new(Colour: ShapeColour.Blue, Background: Background.White)));
    }

    [Fact]
    public void Canonical_UsesTheSpecWordsInSentenceOrder()
    {
        Assert.Equal("a large red circle on the left on a black background",
            CaptionGrammar.Canonical(NamedAttributes.All(LargeRedCircleLeftBlack)).Text);
        Assert.Throws<ArgumentException>(() => CaptionGrammar.Canonical(new NamedAttributes()));
    }

    [Fact]
    public void PositionPhrases_AreExactlyTheSpecs()
    {
        string[] spec = ["in the center", "in the middle", "on the left", "left side", "on the right", "right side", "at the top", "top", "at the bottom", "bottom"];
        Assert.Equal(spec, Enum.GetValues<ShapePosition>().SelectMany(CaptionWords.PositionPhrases));
    }

    [Fact]
    public void ZeroShotPrompts_OnePerValue_EachNamingOnlyItsValue()
    {
        Assert.Equal(new[] { "a circle", "a square", "a triangle" }, CaptionGrammar.ZeroShotPrompts(WorldAttribute.Shape));
        Assert.Equal(new[] { "a red shape", "a green shape", "a blue shape", "a yellow shape", "a magenta shape", "a cyan shape" },
            CaptionGrammar.ZeroShotPrompts(WorldAttribute.Colour));
        Assert.Equal(new[] { "a small shape", "a large shape" }, CaptionGrammar.ZeroShotPrompts(WorldAttribute.Size));
        Assert.Equal(new[] { "a shape in the center", "a shape on the left", "a shape on the right", "a shape at the top", "a shape at the bottom" },
            CaptionGrammar.ZeroShotPrompts(WorldAttribute.Position));
        Assert.Equal(new[] { "a shape on a black background", "a shape on a white background", "a shape on a gray background" },
            CaptionGrammar.ZeroShotPrompts(WorldAttribute.Background));

        foreach (var attribute in ShapeAttributes.Attributes)
        {
            var prompts = CaptionGrammar.ZeroShotPrompts(attribute);
            for (int value = 0; value < prompts.Count; value++)
            {
                var named = CaptionParser.Parse(prompts[value]);
                Assert.Equal(1, named.Count);
                Assert.Equal((AttributeMask)(1 << (int)attribute), named.Mask);
            }
        }
        Assert.Equal("a large magenta circle", CaptionGrammar.PromptFor(new NamedAttributes(Shape.Circle, ShapeColour.Magenta, ShapeSize.Large)));
    }

    [Fact]
    public void Parser_RejectsWordsOutsideTheGrammar_AndContradictions()
    {
        Assert.Throws<FormatException>(() => CaptionParser.Parse("a red hexagon"));
        Assert.Throws<FormatException>(() => CaptionParser.Parse("a red blue circle"));
        Assert.Equal(new NamedAttributes(Background: Background.Gray), CaptionParser.Parse("a shape against a grey background"));
    }
}
