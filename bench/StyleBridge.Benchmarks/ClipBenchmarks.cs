using System.Globalization;
using StyleBridge.Models.Clip;

namespace StyleBridge.Benchmarks;

/// <summary>
/// ViT-B/32 (random weights, the reference's initialisation) on the CPU in float32: image encoding of 16 images at
/// 224×224 and text encoding of 16 prompts, against bench/python/bench_clip.py at the same thread count.
/// </summary>
internal static class ClipBenchmarks
{
    private const int Batch = 16;
    private const int Warmup = 1;
    private const int Iterations = 5;

    /// <summary>
    /// Alternating rounds (Python, then C#), each side keeping its best round: the machine is shared, and a burst of
    /// outside load during one side's round would otherwise decide the ratio. Each round's figure is a median.
    /// </summary>
    private const int Rounds = 2;

    public static void Run(int threads, Peaks peaks)
    {
        string Invariant(int v) => v.ToString(CultureInfo.InvariantCulture);
        string imageName = $"clip-image-b{Batch}", textName = $"clip-text-b{Batch}";

        var config = ClipConfig.VitB32;
        torch.manual_seed(0);
        using var model = new ClipModel(config);
        model.eval();
        using var scope = NewDisposeScope();
        using var gen = new RandomGenerator(1);
        var images = randn(new long[] { Batch, 3, config.ImageResolution, config.ImageResolution }, generator: gen);
        var ids = RandomPrompts(config.ContextLength, gen);

        double pyImages = 0, pyText = 0, imageSeconds = double.MaxValue, textSeconds = double.MaxValue, trimmedSeconds = double.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            var py = Harness.RunPython("bench_clip.py", "--threads", Invariant(threads), "--batch", Invariant(Batch),
                "--iters", Invariant(Iterations), "--warmup", Invariant(Warmup));
            pyImages = Math.Max(pyImages, py[imageName].GetProperty("items_per_s").GetDouble());
            pyText = Math.Max(pyText, py[textName].GetProperty("items_per_s").GetDouble());

            using var inference = inference_mode();
            imageSeconds = Math.Min(imageSeconds, Harness.MedianSeconds(() => { using var s = NewDisposeScope(); model.EncodeImage(images); }, Warmup, Iterations));
            textSeconds = Math.Min(textSeconds, Harness.MedianSeconds(() => { using var s = NewDisposeScope(); model.EncodeText(ids); }, Warmup, Iterations));
            trimmedSeconds = Math.Min(trimmedSeconds, Harness.MedianSeconds(() => { using var s = NewDisposeScope(); model.EncodeText(ids, trimPadding: true); }, Warmup, Iterations));
        }

        double imagesPerSecond = Batch / imageSeconds;
        Harness.Report(imageName, imagesPerSecond, pyImages, "images/s");
        Harness.Report(textName, Batch / textSeconds, pyText, "prompts/s");

        double gflopPerImage = ImageGflop(config);
        double efficiency = imagesPerSecond * gflopPerImage / peaks.MatmulGflops;
        Console.WriteLine(FormattableString.Invariant($"{imageName}: {gflopPerImage:F2} GFLOP/image, {imagesPerSecond * gflopPerImage:F1} GFLOP/s, matmul peak {peaks.MatmulGflops:F1} GFLOP/s"));
        Console.WriteLine(FormattableString.Invariant($"efficiency {imageName} {efficiency:F3}"));
        // not part of the comparison: the reference always runs all 77 positions
        Console.WriteLine(FormattableString.Invariant($"{textName} with trimPadding: C# {Batch / trimmedSeconds:F2} prompts/s ({textSeconds / trimmedSeconds:F1}x the full-length path)"));
    }

    /// <summary>Multiply-adds ×2 of one image through the tower: patch convolution, every block, projection.</summary>
    private static double ImageGflop(ClipConfig c)
    {
        double w = c.VisionWidth, l = c.VisionSequenceLength, grid = c.GridSize, p = c.VisionPatchSize;
        double patchify = 2 * grid * grid * w * 3 * p * p;
        double block = 2 * l * w * 3 * w   // q, k, v
                     + 2 * 2 * l * l * w   // scores and weighted values
                     + 2 * l * w * w       // out_proj
                     + 2 * 2 * l * w * 4 * w; // c_fc, c_proj
        return (patchify + c.VisionLayers * block + 2 * w * c.EmbedDim) / 1e9;
    }

    /// <summary>Token ids shaped like tokenized prompts, as the Python side draws them: SOT, 6–12 word ids, EOT, zero padding.</summary>
    private static Tensor RandomPrompts(int contextLength, RandomGenerator gen)
    {
        const int meanLength = 10;
        var ids = new long[Batch * contextLength];
        for (int i = 0; i < Batch; i++)
        {
            using var s = NewDisposeScope();
            long eot = randint(meanLength - 3, meanLength + 4, new long[] { 1 }, ScalarType.Int64, generator: gen).item<long>();
            var words = randint(1, ClipTokenizer.StartOfText, new long[] { eot - 1 }, ScalarType.Int64, generator: gen).data<long>().ToArray();
            ids[i * contextLength] = ClipTokenizer.StartOfText;
            words.CopyTo(ids, i * contextLength + 1);
            ids[i * contextLength + eot] = ClipTokenizer.EndOfText;
        }

        return tensor(ids, new long[] { Batch, contextLength });
    }
}
