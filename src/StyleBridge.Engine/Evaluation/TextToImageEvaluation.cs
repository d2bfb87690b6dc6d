using StyleBridge.Engine.Generation;
using StyleBridge.Engine.World;

namespace StyleBridge.Engine.Evaluation;

/// <summary>Text-to-image figures of one configuration (method, candidates) over a prompt set.</summary>
/// <param name="AllThree">Fraction of images whose oracle colour, shape and position all match the prompt.</param>
public sealed record TextToImageReport(GenerationMethod Method, int Candidates, int Images, double AllThree, double Colour, double Shape,
    double Position, double ClipScore);

/// <summary>
/// closed-world.md §4, text to image: prompts naming colour, shape and position ("a blue square on the left"), every
/// combination, images generated from fixed seeds, read by the attribute oracle; with and without CLIP re-ranking;
/// prompts naming a held-out (colour, shape) pair apart.
/// </summary>
public static class TextToImageEvaluation
{
    public static IReadOnlyList<(NamedAttributes Named, string Prompt)> Prompts(bool heldOut) =>
        [.. from colour in Enum.GetValues<ShapeColour>()
            from shape in Enum.GetValues<Shape>()
            where HeldOutPairs.Contains(colour, shape) == heldOut
            from position in Enum.GetValues<ShapePosition>()
            let named = new NamedAttributes(Shape: shape, Colour: colour, Position: position)
            select (named, CaptionGrammar.PromptFor(named))];

    public static TextToImageReport Evaluate(TextToImagePipeline pipeline, AttributeOracle oracle, GenerationMethod method,
        IReadOnlyList<(NamedAttributes Named, string Prompt)> prompts, int imagesPerPrompt, int candidates, long seed,
        CancellationToken cancellation = default, CslaTextCentre cslaTextCentre = CslaTextCentre.Neutral, double? truncation = null)
    {
        int n = 0, all = 0, colour = 0, shape = 0, position = 0;
        double score = 0;
        const int PromptsPerCall = 8;
        for (int start = 0; start < prompts.Count; start += PromptsPerCall)
        {
            var slice = prompts.Skip(start).Take(PromptsPerCall).ToList();
            var requests = slice.Select((p, i) => new GenerationRequest
            {
                Prompt = p.Prompt, Method = method, NumImages = imagesPerPrompt, NumCandidates = candidates, Seed = seed + start + i,
                CslaTextCentre = cslaTextCentre, Truncation = truncation,
            }).ToList();
            var results = pipeline.Generate(requests, cancellation);
            try
            {
                for (int r = 0; r < results.Count; r++)
                {
                    using var scope = NewDisposeScope();
                    var images = stack(results[r].Images.Select(i => i.Image).ToList()).clamp(-1, 1);
                    var predicted = oracle.Predict(images);
                    var named = slice[r].Named;
                    for (int i = 0; i < predicted.GetLength(0); i++)
                    {
                        bool c = predicted[i, (int)WorldAttribute.Colour] == (long)named.Colour!.Value;
                        bool s = predicted[i, (int)WorldAttribute.Shape] == (long)named.Shape!.Value;
                        bool p = predicted[i, (int)WorldAttribute.Position] == (long)named.Position!.Value;
                        colour += c ? 1 : 0;
                        shape += s ? 1 : 0;
                        position += p ? 1 : 0;
                        all += c && s && p ? 1 : 0;
                        score += results[r].Images[i].ClipScore;
                        n++;
                    }
                }
            }
            finally
            {
                foreach (var r in results)
                    r.Dispose();
            }
        }
        return new TextToImageReport(method, candidates, n, (double)all / n, (double)colour / n, (double)shape / n, (double)position / n, score / n);
    }
}
