using System.Diagnostics;
using StyleBridge.Engine.Editing;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Engine.World;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using StyleBridge.Models.Editing;
using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Benchmarks;

/// <summary>
/// Inversion and each edit method, per image (batch 1): "edit" on the default Shapes set; "edit-ffhq" at FFHQ size with
/// random weights (ViT-B/32, StyleGAN2 config-f 1024², CSLA mappers and a DeltaMapper of the released sizes).
/// </summary>
internal static class EditBenchmarks
{
    private static double Median(Action body, int iterations)
    {
        body();
        var times = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            body();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    private static void Run(string name, EditPipeline pipeline, Tensor image, int iterations, int optimizeSteps)
    {
        using var inverted = pipeline.Invert(image);
        double invert = Median(() => { using var r = pipeline.Invert(image); }, iterations);
        var line = new List<string> { $"inversion {invert * 1000:F0} ms" };
        foreach (var method in new[] { EditMethod.Global, EditMethod.DeltaEdit, EditMethod.Csla, EditMethod.Optimize })
        {
            if (method == EditMethod.Global && pipeline.Directions is null || method == EditMethod.DeltaEdit && pipeline.DeltaMapper is null
                || method == EditMethod.Csla && pipeline.Csla is null)
                continue;
            var request = new EditRequest { Source = "a red shape", Target = "a blue shape", Method = method, Steps = optimizeSteps };
            double t = Median(() => { using var r = pipeline.Edit(inverted.Code, request); }, method == EditMethod.Optimize ? 1 : iterations);
            line.Add($"{method.ToString().ToLowerInvariant()} {t * 1000:F0} ms" + (method == EditMethod.Optimize ? $" ({optimizeSteps} steps)" : ""));
        }
        Console.WriteLine($"{name}, per image: {string.Join(", ", line)}");
    }

    public static void RunShapes()
    {
        using var pipeline = EditPipeline.Open(ModelSet.Open(Path.Combine(Harness.RepoRoot(), "weights", "shapes")));
        using var image = ShapeSampler.Render(new ShapeSampler(1).SampleBatch(1));
        Run("edit shapes (64²)", pipeline, image, 5, 40);
    }

    public static void RunFfhq()
    {
        torch.manual_seed(1);
        using var clip = new ClipModel(ClipConfig.VitB32);
        clip.Freeze();
        using var generator = new StyleBridge.Models.StyleGan2.Generator(StyleGan2Config.ConfigF());
        generator.Freeze();
        using var csla = new CslaModel(new CslaConfig(512, 512), generator);
        csla.Freeze();
        int conv = generator.StyleSpace.TotalDimWithoutToRgb;
        using var delta = new DeltaMapper(new DeltaMapperConfig(3, 512, 4, 512, 2464, 1024));
        delta.Freeze();
        var fs3 = torch.randn(conv, 512);
        using var directions = new GlobalDirections(fs3.div(fs3.norm(1, true)), torch.rand(conv));
        var tokenizer = ClipTokenizer.FromOpenAiVocab(Path.Combine(Harness.RepoRoot(), "weights", "shapes", ModelSet.VocabFile));
        using var pipeline = new EditPipeline(clip, tokenizer, generator, csla, directions, delta)
        {
            ImageTransform = ClipImageTransform.StyleClip(224),
        };
        using var image = torch.rand(1, 3, 1024, 1024).mul(2).sub(1);
        Run("edit ffhq-size (1024², random weights)", pipeline, image, 1, 2);
    }
}
