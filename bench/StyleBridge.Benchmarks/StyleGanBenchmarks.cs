using System.Globalization;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Benchmarks;

/// <summary>
/// 1024×1024 StyleGAN2 synthesis (config-f channel table, random weights, constant noise) on the CPU in float32,
/// batch 1 and 4: seconds per image and the convolution GFLOP/s achieved, as a fraction of the conv2d GFLOP/s the
/// same run measured through TorchSharp; batch 1 also against bench/python/bench_sg2.py.
/// </summary>
internal static class StyleGanBenchmarks
{
    private const int Size = 1024;

    public static void Run(int threads, Peaks peaks)
    {
        var config = StyleGan2Config.ConfigF(Size);
        double flops = ConvFlopsPerImage(config);
        Console.WriteLine(FormattableString.Invariant(
            $"sg2-{Size}: {flops / 1e9:F1} GFLOP of convolution per image (modulated 3x3 convs {ConvFlopsPerImage(config, toRgb: false) / 1e9:F1}, ToRGB the rest)"));
        HostAllocator.KeepFreedMemory();

        torch.manual_seed(0);
        // Whole-batch passes with either modulated-conv path, against the default configuration.
        using var fused = new Generator(config with { ModulatedConvPath = ModulatedConvPath.Fused, MaxCpuBatch = null });
        using var nonFused = new Generator(config with { ModulatedConvPath = ModulatedConvPath.NonFused, MaxCpuBatch = null });
        nonFused.LoadWeights(fused.state_dict());
        using var auto = new Generator(config);
        auto.LoadWeights(fused.state_dict());

        double? python = null;
        try
        {
            var py = Harness.RunPython("bench_sg2.py", "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--batches", "1", "--iters", "1", "--warmup", "0");
            python = py[$"sg2-{Size}-b1"].GetProperty("seconds_per_image").GetDouble();
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException)
        {
            Console.WriteLine($"bench_sg2.py: {e.Message}");
        }

        foreach (int batch in new[] { 1, 4 })
        {
            int iterations = batch == 1 ? 3 : 2;
            var candidates = batch == 1
                ? new[] { ("auto", auto) }
                : new[] { ("whole-batch fused", fused), ("whole-batch non-fused", nonFused), ("auto", auto) };
            double autoSeconds = 0;
            foreach (var (label, model) in candidates)
            {
                double seconds = Measure(model, batch, iterations);
                double perImage = seconds / batch;
                Console.WriteLine(FormattableString.Invariant(
                    $"sg2-{Size}-b{batch} {label}: {perImage:F2} s/image, {flops * batch / seconds / 1e9:F1} GFLOP/s"));
                if (label == "auto")
                    autoSeconds = seconds;
            }

            double efficiency = flops * batch / autoSeconds / 1e9 / peaks.ConvGflops;
            Console.WriteLine(FormattableString.Invariant($"efficiency sg2-{Size}-b{batch} {efficiency:F3}"));
            if (batch == 1 && python is { } p)
                Harness.Report($"sg2-{Size}-b1", 1 / autoSeconds, 1 / p, "images/s");
        }
    }

    private static double Measure(Generator g, int batch, int iterations)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var rng = new RandomGenerator((ulong)batch);
        var z = randn(new long[] { batch, g.Config.ZDim }, generator: rng);
        return Harness.MedianSeconds(() =>
        {
            using var inner = NewDisposeScope();
            _ = g.Generate(z);
        }, 1, iterations);
    }

    /// <summary>
    /// Multiply-adds ×2 of every modulated convolution per image: 3×3 convs at their output resolution, up-convs at
    /// their input resolution (the useful work of the stride-2 transposed conv), plus the 1×1 ToRGBs. The FIR
    /// filters are not counted.
    /// </summary>
    public static double ConvFlopsPerImage(StyleGan2Config config, bool toRgb = true)
    {
        double total = 0;
        double Conv(int cin, int cout, int k, int res) => 2.0 * cin * cout * k * k * res * res;
        int c4 = config.Channels[4];
        total += Conv(c4, c4, 3, 4) + (toRgb ? Conv(c4, 3, 1, 4) : 0);
        int inChannels = c4;
        for (int r = 8; r <= config.Size; r *= 2)
        {
            int c = config.Channels[r];
            total += Conv(inChannels, c, 3, r / 2) + Conv(c, c, 3, r) + (toRgb ? Conv(c, 3, 1, r) : 0);
            inChannels = c;
        }

        return total;
    }
}
