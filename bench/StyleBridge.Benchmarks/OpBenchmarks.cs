using System.Globalization;

namespace StyleBridge.Benchmarks;

/// <summary>The machine's matmul and conv throughput through TorchSharp: the peaks model efficiency is measured against.</summary>
internal sealed record Peaks(double MatmulGflops, double ConvGflops);

internal static class OpBenchmarks
{
    private const int Rounds = 3;

    /// <summary>
    /// matmul 1024³ and conv2d 512→512 3×3 on 64×64, through TorchSharp and through python3-torch. The two sides
    /// alternate for <see cref="Rounds"/> rounds and each keeps its best median, so that a burst of outside load during
    /// one side's turn does not decide the ratio.
    /// </summary>
    public static Peaks Run(int threads)
    {
        double matmul = 0, conv = 0, pyMatmul = 0, pyConv = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var py = Harness.RunPython("bench_ops.py", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--iters", "10");
            pyMatmul = Math.Max(pyMatmul, py["matmul-1024"].GetProperty("gflops").GetDouble());
            pyConv = Math.Max(pyConv, py["conv2d-512x512-3x3-64"].GetProperty("gflops").GetDouble());
            matmul = Math.Max(matmul, MatmulGflops());
            conv = Math.Max(conv, ConvGflops());
        }

        Harness.Report("matmul-1024", matmul, pyMatmul, "GFLOP/s");
        Harness.Report("conv2d-512x512-3x3-64", conv, pyConv, "GFLOP/s");
        return new Peaks(matmul, conv);
    }

    private static double MatmulGflops()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var gen = new RandomGenerator(0);
        var a = randn(new long[] { 1024, 1024 }, generator: gen);
        var b = randn(new long[] { 1024, 1024 }, generator: gen);
        double seconds = Harness.MedianSeconds(() => a.matmul(b).Dispose(), 3, 10);
        return 2.0 * 1024 * 1024 * 1024 / seconds / 1e9;
    }

    private static double ConvGflops()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var gen = new RandomGenerator(0);
        var x = randn(new long[] { 1, 512, 64, 64 }, generator: gen);
        var w = randn(new long[] { 512, 512, 3, 3 }, generator: gen);
        double seconds = Harness.MedianSeconds(() => Functional.Conv2d(x, w, null, 1, 1).Dispose(), 3, 10);
        return 2.0 * 512 * 512 * 9 * 64 * 64 / seconds / 1e9;
    }
}
