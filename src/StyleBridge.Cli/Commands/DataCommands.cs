using System.CommandLine;
using StyleBridge.Engine.Data;
using StyleBridge.Engine.ModelSets;

namespace StyleBridge.Cli.Commands;

/// <summary><c>stylebridge data generate</c>: the data-free (w, CLIP image embedding) set the prior and CSLA train on.</summary>
internal static class DataCommands
{
    public static Command Create() => new("data", "Training data made by the generator and CLIP") { Generate() };

    private static Command Generate()
    {
        var models = new Option<string?>("--models") { Description = "model set with the generator and CLIP (default: the Shapes set)" };
        var count = new Option<int>("--count") { Description = "samples", DefaultValueFactory = _ => 50_000 };
        var chunk = new Option<int>("--chunk") { Description = "samples per chunk file", DefaultValueFactory = _ => 5_000 };
        var seed = new Option<long>("--seed") { Description = "seed (chunk c draws from (seed, c))", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "samples per forward pass", DefaultValueFactory = _ => 128 };
        var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "artifacts/data/shapes" };
        var threads = new Option<int?>("--threads") { Description = "intra-op threads (default: one per core)" };
        var command = new Command("generate", "z → w → image → CLIP image embedding, in resumable chunks (clip2latent §1)")
        {
            models, count, chunk, seed, batch, output, threads,
        };
        command.SetAction((parse, cancel) => Task.FromResult(CommandErrors.Guarded(parse, () =>
        {
            if (parse.GetValue(threads) is { } t)
                StyleBridge.Torch.TorchRuntime.Initialize(t);
            var set = ModelSet.Open(parse.GetValue(models));
            using var g = set.LoadGenerator();
            using var clip = set.LoadClip();
            var transform = new StyleBridge.Models.Clip.ClipImageTransform(clip.Config.ImageResolution);
            var log = parse.InvocationConfiguration.Output;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string dir = parse.GetValue(output)!;
            int written = LatentDataset.Generate(g, clip, transform, dir, parse.GetValue(count), parse.GetValue(chunk), parse.GetValue(seed),
                parse.GetValue(batch), (done, total) => log.WriteLine($"chunk {done}/{total}  {clock.Elapsed:hh\\:mm\\:ss}"), cancel);
            log.WriteLine($"data: {written} chunks written ({parse.GetValue(count)} samples in {dir}), {clock.Elapsed.TotalSeconds:F1} s");
        })));
        return command;
    }
}
