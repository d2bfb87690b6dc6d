using System.Diagnostics;
using StyleBridge.Engine.Generation;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Prior;
using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Benchmarks;

/// <summary>
/// The text-to-image request path (issue: time per request and its split by stage): one request, one image, 16
/// candidates re-ranked by CLIP, the prior at 4 steps (skip 250) with guidance 2. "t2i" on the default Shapes set;
/// "t2i-ffhq" at FFHQ size with random weights (ViT-B/32, the released prior configuration, StyleGAN2 config-f 1024²).
/// </summary>
internal static class TextToImageBenchmarks
{
    private static void Run(string name, TextToImagePipeline pipeline, int iterations)
    {
        var request = new GenerationRequest { Prompt = "a blue square on the left", NumImages = 1, NumCandidates = 16, Seed = 1, Steps = 4, GuidanceScale = 2 };
        using (var warm = pipeline.Generate(request with { NumCandidates = 1 })) { }
        var totals = new List<GenerationTimings>();
        var wall = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            using var result = pipeline.Generate(request with { Seed = i });
            wall.Add(clock.Elapsed.TotalSeconds);
            totals.Add(result.Timings);
        }
        double Median(Func<GenerationTimings, double> f) => totals.Select(f).Order().ElementAt(totals.Count / 2);
        double total = wall.Order().ElementAt(wall.Count / 2);
        Console.WriteLine($"{name}: one request, 16 candidates: {total:F3} s per request (median of {iterations}); " +
                          $"text {Median(t => t.TextSeconds) / total:P0}, prior {Median(t => t.LatentSeconds) / total:P0}, " +
                          $"synthesis {Median(t => t.SynthesisSeconds) / total:P0}, re-ranking {Median(t => t.RerankSeconds) / total:P0}");
    }

    public static void RunShapes()
    {
        var set = ModelSet.Open(Path.Combine(Harness.RepoRoot(), "weights", "shapes"));
        using (var pipeline = TextToImagePipeline.Open(set))
        {
            Run("t2i shapes (64², Shapes CLIP, trained prior)", pipeline, 5);
            // what batching requests together can gain on this machine: the service's worker hands the pipeline
            // several requests at once (up to its item cap, 64 candidates on the Shapes set)
            Batched($"t2i shapes, synthesis slice {pipeline.Generator.Config.MaxCpuBatch}", pipeline, 5);
        }

        // the whole batch in one synthesis pass: faster here alone, slower in the service under load (docs/performance.md)
        using (var whole = TextToImagePipeline.Open(set, c => c with { MaxCpuBatch = null }))
            Batched("t2i shapes, synthesis in one pass", whole, 5);
    }

    private static void Batched(string name, TextToImagePipeline pipeline, int iterations)
    {
        var request = new GenerationRequest { Prompt = "a blue square on the left", NumImages = 1, NumCandidates = 16, Seed = 1, Steps = 4, GuidanceScale = 2 };
        double PerRequest(int requests)
        {
            var times = new List<double>();
            for (int i = 0; i < iterations; i++)
            {
                var batch = Enumerable.Range(0, requests).Select(r => request with { Seed = i * requests + r }).ToList();
                var clock = Stopwatch.StartNew();
                var results = pipeline.Generate(batch);
                times.Add(clock.Elapsed.TotalSeconds / requests);
                foreach (var result in results)
                    result.Dispose();
            }
            return times.Order().ElementAt(times.Count / 2);
        }

        using (var warm = pipeline.Generate(request)) { }
        double one = PerRequest(1), four = PerRequest(4);
        Console.WriteLine($"{name}: 1 request of 16 candidates per batch {one:F3} s per request, 4 per batch {four:F3} s per request: gain {one / four:F2}x (median of {iterations})");
    }

    public static void RunFfhq()
    {
        torch.manual_seed(1);
        using var clip = new ClipModel(ClipConfig.VitB32);
        clip.Freeze();
        using var generator = new StyleBridge.Models.StyleGan2.Generator(StyleGan2Config.ConfigF());
        generator.Freeze();
        using var prior = new LatentPrior(PriorConfig.Released);
        prior.Freeze();
        var tokenizer = ClipTokenizer.FromOpenAiVocab(Path.Combine(Harness.RepoRoot(), "weights", "shapes", ModelSet.VocabFile));
        using var pipeline = new TextToImagePipeline(clip, tokenizer, generator, prior, null) { MaxBatch = 16 };
        Run("t2i ffhq-size (1024², ViT-B/32, released prior config; random weights)", pipeline, 1);
    }
}
