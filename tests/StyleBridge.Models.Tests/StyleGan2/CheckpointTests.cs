using System.Diagnostics;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Xunit.Abstractions;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>Loading real checkpoint files: rosinality .pt (converted and training), NVIDIA pickles through the converter.</summary>
[Trait("Category", "Golden")]
public class CheckpointTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "global.json")))
                return dir.FullName;
        throw new DirectoryNotFoundException("no global.json above " + AppContext.BaseDirectory);
    }

    private static void RunPython(params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + Python);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} timed out");
        }

        Assert.True(p.ExitCode == 0, $"{Python} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    /// <summary>max |Δ| over every image case of a golden set, for a given model.</summary>
    private double WorstImage(GoldenModelSet set, Generator g, string label)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        double worst = 0;
        foreach (string image in GoldenCases.For(set).Where(c => c.StartsWith("image:", StringComparison.Ordinal)).Select(c => c[6..]))
        {
            double d = TensorDiff.MaxAbs(GoldenCases.Image(set, g, image, ScalarType.Float32), StyleGanGolden.Io(set)[image]);
            output.WriteLine($"{label} {image}: {d:E2}");
            worst = Math.Max(worst, d);
        }

        return worst;
    }

    public static TheoryData<string> TorchCheckpoints()
    {
        var data = new TheoryData<string>();
        foreach (var set in StyleGanGolden.Sets.Where(s => File.Exists(Path.Combine(s.Directory, s.Name + "_ckpt.pt"))))
            data.Add(set.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(TorchCheckpoints))]
    public void RosinalityCheckpointLoadsDirectlyWithItsLatentAvg(string setId)
    {
        var set = StyleGanGolden.Set(setId);
        using var g = Generator.FromFile(Path.Combine(set.Directory, set.Name + "_ckpt.pt"));
        Assert.NotNull(g.LatentAvg);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var io = StyleGanGolden.Io(set);
        Assert.True(g.LatentAvg!.Equal(io["mean_latent"].reshape(-1)));
        Assert.True(WorstImage(set, g, set.Id + " .pt") <= StyleGanGolden.ImageTolerance);

        // ψ toward the checkpoint's own latent_avg (= mean_latent) reproduces the truncated golden.
        foreach (string key in io.Keys.Where(k => k.StartsWith("img_trunc", StringComparison.Ordinal) && !k.EndsWith("_f64", StringComparison.Ordinal)))
        {
            var image = g.Generate(io["z"], StyleGanGolden.PsiFromName(key)!.Value);
            Assert.True(TensorDiff.MaxAbs(image, io[key]) <= StyleGanGolden.ImageTolerance, key);
        }
    }

    [Theory]
    [MemberData(nameof(TorchCheckpoints))]
    public void TrainingCheckpointReadsGEmaAndIgnoresTheRest(string setId)
    {
        var set = StyleGanGolden.Set(setId);
        string dir = Directory.CreateTempSubdirectory("sg2-train-").FullName;
        try
        {
            // rosinality train.py saves g, d, g_ema, g_optim, d_optim, args (argparse.Namespace), ada_aug_p; no latent_avg.
            string script = Path.Combine(dir, "make_ckpt.py");
            File.WriteAllText(script, """
                import argparse, collections, sys, torch
                src = torch.load(sys.argv[1])
                g_ema = src["g_ema"]
                gen = torch.Generator().manual_seed(5)
                g = collections.OrderedDict((k, v + torch.randn(v.shape, generator=gen)) for k, v in g_ema.items())
                params = [torch.nn.Parameter(torch.randn(4, 4, generator=gen)) for _ in range(2)]
                opt = torch.optim.Adam(params, lr=0.002, betas=(0, 0.99))
                sum(p.square().sum() for p in params).backward()
                opt.step()
                d = collections.OrderedDict([("convs.0.0.weight", torch.randn(8, 3, 1, 1, generator=gen)), ("final_linear.1.bias", torch.zeros(1))])
                args = argparse.Namespace(size=32, batch=4, iter=10, channel_multiplier=2, ckpt=None, lr=0.002)
                torch.save({"g": g, "d": d, "g_ema": g_ema, "g_optim": opt.state_dict(), "d_optim": opt.state_dict(),
                            "args": args, "ada_aug_p": 0.0}, sys.argv[2])
                """);
            string ckpt = Path.Combine(dir, "train.pt");
            RunPython(script, Path.Combine(set.Directory, set.Name + "_ckpt.pt"), ckpt);

            using var g = Generator.FromFile(ckpt);
            Assert.Null(g.LatentAvg);
            double worst = WorstImage(set, g, set.Id + " training .pt");
            Assert.True(worst <= StyleGanGolden.ImageTolerance, $"{worst:E3}");
            using var scope = NewDisposeScope();
            Assert.Throws<InvalidOperationException>(() => g.Truncate(StyleGanGolden.Io(set)["wplus_rand"], 0.7));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string, string> NvidiaPickles()
    {
        var data = new TheoryData<string, string>();
        foreach (string dir in Directory.GetDirectories(StyleGanGolden.Root))
            foreach (string pkl in Directory.GetFiles(dir, "*.pkl").Order(StringComparer.Ordinal))
            {
                string file = Path.GetFileName(pkl);
                var set = StyleGanGolden.Sets.Where(s => s.Directory == dir && file.StartsWith(s.Name + "_", StringComparison.Ordinal))
                    .OrderByDescending(s => s.Name.Length).FirstOrDefault();
                if (set is not null)
                    data.Add(set.Id, file);
            }

        return data;
    }

    [Fact]
    public void BothNvidiaPicklesAreDiscovered()
    {
        var files = NvidiaPickles().Select(row => (string)row[1]).ToList();
        Assert.Contains(files, f => f.Contains("G_ema", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains("snapshot", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(NvidiaPickles))]
    public void ConvertedNvidiaPickleReproducesTheNvidiaGoldens(string setId, string pickle)
    {
        var set = StyleGanGolden.Set(setId);
        string dir = Directory.CreateTempSubdirectory("sg2-convert-").FullName;
        try
        {
            string converter = Path.Combine(RepoRoot(), "weights", "convert_nvidia_pkl.py");
            string converted = Path.Combine(dir, "g_ema.safetensors");
            RunPython(converter, Path.Combine(set.Directory, pickle), converted);

            using (var g = Generator.FromFile(converted))
            {
                Assert.Equal(DemodulationEpsilon.Nvidia, g.Config.DemodulationEpsilon);
                Assert.Equal(StyleGanGolden.Model(set).Config.ConvClamp, g.Config.ConvClamp);
                Assert.Equal(StyleGanGolden.Model(set).Config.NumFp16Res, g.Config.NumFp16Res);
                double worst = WorstImage(set, g, $"{pickle} converted");
                Assert.True(worst <= StyleGanGolden.ImageTolerance, $"{pickle}: {worst:E3}");
            }

            using (var state = SafeTensors.Load(converted))
                Assert.Equal("G_ema", state.Metadata["key"]);

            // A snapshot's G holds other (non-averaged) weights: reading it instead of G_ema is caught by the images.
            if (pickle.Contains("snapshot", StringComparison.Ordinal))
            {
                string wrong = Path.Combine(dir, "g.safetensors");
                RunPython(converter, Path.Combine(set.Directory, pickle), wrong, "--key", "G");
                using var g = Generator.FromFile(wrong);
                double worst = WorstImage(set, g, $"{pickle} G (not G_ema)");
                Assert.True(worst > 100 * StyleGanGolden.ImageTolerance, $"the snapshot's G reproduces the G_ema goldens ({worst:E3})");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void APickleIsRefusedWithAPointerToTheConverter()
    {
        string pkl = Directory.GetFiles(StyleGanGolden.Root, "*.pkl", SearchOption.AllDirectories).First();
        var e = Assert.Throws<WeightFormatException>(() => StyleGan2Weights.Read(pkl));
        Assert.Contains("convert_nvidia_pkl.py", e.Message);
    }
}
