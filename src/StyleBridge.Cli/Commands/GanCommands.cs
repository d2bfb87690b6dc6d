using System.CommandLine;
using System.Globalization;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Commands;

/// <summary><c>stylebridge gan run</c> (tensors in, tensors out) and <c>stylebridge gan sample</c> (PNGs from a seed).</summary>
internal static class GanCommands
{
    private const int MeanLatentSamples = 4096;

    public static Command Create() => new("gan", "StyleGAN2 mapping and synthesis (rosinality .pt / safetensors, NVIDIA safetensors)")
    {
        RunCommand(),
        SampleCommand(),
    };

    private static Option<string> WeightsOption() => new("--weights")
    {
        Description = "generator weights: rosinality .pt (g_ema, latent_avg), or safetensors in rosinality or NVIDIA names",
        Required = true,
    };

    private static Option<string?> ConfigOption() => new("--config")
    {
        Description = "JSON run-time settings (rosinality 'constructor', NVIDIA 'init_kwargs', truncation_cutoff, demodulation_epsilon)",
    };

    private static Option<double> TruncationOption() => new("--truncation")
    {
        Description = "truncation ψ toward the checkpoint's average latent (1 = none)",
        DefaultValueFactory = _ => 1.0,
    };

    private static Option<string> NoiseOption()
    {
        var option = new Option<string>("--noise")
        {
            Description = "noise: the model's constant buffers, fresh random maps (from --seed), or none",
            DefaultValueFactory = _ => "const",
        };
        option.AcceptOnlyFromAmong("const", "random", "none");
        return option;
    }

    private static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "cpu",
    };

    private static Command RunCommand()
    {
        var weights = WeightsOption();
        var config = ConfigOption();
        var inputs = new Option<string>("--inputs")
        {
            Description = "safetensors holding z [N,Z], or ws [N,L,W], or styles.<layer> [N,C] for every S layer (checkpoint naming)",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "output safetensors (images [N,3,H,W] float32, unclamped; w and ws for z input)", Required = true };
        var truncation = TruncationOption();
        var noise = NoiseOption();
        var seed = new Option<long>("--seed") { Description = "seed of --noise random (and of the mean latent when the checkpoint has none)" };
        var device = DeviceOption();

        var command = new Command("run", "map and/or synthesise a batch of z, W+ or S inputs")
        {
            weights, config, inputs, output, truncation, noise, seed, device,
        };
        command.SetAction(parse => Guarded(parse, () =>
        {
            var dev = torch.device(parse.GetValue(device)!);
            using var scope = NewDisposeScope();
            using var loaded = Load(parse.GetValue(weights)!, parse.GetValue(config), dev);
            var g = loaded.Generator;
            using var mode = inference_mode();
            using var rng = new RandomGenerator((ulong)parse.GetValue(seed), dev);
            var options = new SynthesisOptions(ParseNoise(parse.GetValue(noise)!), rng);
            using var io = SafeTensors.Load(parse.GetValue(inputs)!);
            var results = Run(g, loaded.Layout, io, parse.GetValue(truncation), options, parse.GetValue(seed), parse.InvocationConfiguration.Error);
            var cpu = results.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.to(ScalarType.Float32, CPU).contiguous())).ToList();
            SafeTensors.Save(parse.GetValue(output)!, cpu, new Dictionary<string, string>
            {
                ["layout"] = loaded.Layout.ToString().ToLowerInvariant(),
                ["truncation"] = parse.GetValue(truncation).ToString("R", CultureInfo.InvariantCulture),
                ["noise"] = parse.GetValue(noise)!,
                ["note"] = "images NCHW float32, unclamped generator output (nominally [-1, 1])",
            });
            parse.InvocationConfiguration.Output.WriteLine($"wrote {string.Join(", ", cpu.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]"))} to {parse.GetValue(output)}");
        }));
        return command;
    }

    /// <summary>
    /// <c>stylebridge gan sample --seed S [--count N] --out DIR</c>: N images <c>0.png</c> … <c>N-1.png</c> of the model
    /// set's generator (default: the Shapes set; <c>--models DIR</c> another set, <c>--weights FILE</c> any generator file).
    /// Image i takes the i-th z drawn, one [1, Z] draw after another, from a torch.Generator seeded with S, so image 0 is
    /// the single image earlier versions wrote for S, and image i does not depend on N. <c>--noise random</c> maps come,
    /// image by image, from a second generator seeded with S. <c>--out X.png</c> with N = 1 writes that one file.
    /// </summary>
    private static Command SampleCommand()
    {
        var weights = new Option<string?>("--weights")
        {
            Description = "generator weights (rosinality .pt, or safetensors in rosinality or NVIDIA names); default: the model set's stylegan2.safetensors",
        };
        var models = new Option<string?>("--models")
        {
            Description = $"model set directory (default: ${ModelSet.EnvironmentVariable}, else the bundled Shapes set, else ./weights/shapes)",
        };
        var config = ConfigOption();
        var seed = new Option<long>("--seed") { Description = "seed of z (and of --noise random)", Required = true };
        var count = new Option<int>("--count") { Description = "number of images", DefaultValueFactory = _ => 1 };
        var truncation = TruncationOption();
        var noise = NoiseOption();
        var output = new Option<string>("--out") { Description = "output directory (receives 0.png … N-1.png), or one .png file when --count is 1", Required = true };
        var device = DeviceOption();
        var threads = new Option<int?>("--threads") { Description = "intra-op threads (default: one per core)" };

        var command = new Command("sample", "images from seeded z")
        {
            weights, models, config, seed, count, truncation, noise, output, device, threads,
        };
        command.SetAction(parse => Guarded(parse, () =>
        {
            if (parse.GetValue(threads) is { } t)
                TorchRuntime.Initialize(t);
            int n = parse.GetValue(count);
            if (n < 1)
                throw new ArgumentException($"--count must be at least 1, got {n}");
            string outPath = parse.GetValue(output)!;
            bool singleFile = outPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(outPath);
            if (singleFile && n != 1)
                throw new ArgumentException($"--out {outPath} names one PNG file; for --count {n} give a directory (it receives 0.png … {n - 1}.png)");

            string weightsPath = parse.GetValue(weights) ?? ModelSet.Open(parse.GetValue(models)).PathOf(ModelSet.GeneratorFile);
            var dev = torch.device(parse.GetValue(device)!);
            using var scope = NewDisposeScope();
            using var loaded = Load(weightsPath, parse.GetValue(config), dev);
            var g = loaded.Generator;
            using var mode = inference_mode();
            long s = parse.GetValue(seed);
            double psi = parse.GetValue(truncation);
            var average = AverageLatent(g, psi, s, parse.InvocationConfiguration.Error);
            var options = ParseNoise(parse.GetValue(noise)!);
            if (!singleFile)
                Directory.CreateDirectory(outPath);
            using var zRng = new RandomGenerator((ulong)s);
            using var rng = new RandomGenerator((ulong)s, dev);
            for (int i = 0; i < n; i++)
            {
                using var step = NewDisposeScope();
                var z = randn(new long[] { 1, g.Config.ZDim }, generator: zRng).to(dev);
                var ws = g.Truncate(g.Broadcast(g.Map(z)), psi, average);
                var image = g.Synthesize(ws, new SynthesisOptions(options, rng));
                var rgb = ImageTensors.FromTensor(image)[0];
                string file = singleFile ? outPath : Path.Combine(outPath, i.ToString(CultureInfo.InvariantCulture) + ".png");
                File.WriteAllBytes(file, ImageEncoder.EncodePng(rgb));
                parse.InvocationConfiguration.Output.WriteLine($"wrote {rgb.Width}x{rgb.Height} PNG to {file}");
            }
        }));
        return command;
    }

    /// <summary>
    /// The run command's work: z → w (before truncation), ws (after), images; or ws → images; or every
    /// <c>styles.&lt;layer&gt;</c> → images.
    /// </summary>
    private static Dictionary<string, Tensor> Run(Generator g, CheckpointLayout layout, StateDict io, double psi, SynthesisOptions options, long seed, TextWriter log)
    {
        var device = g.Input.Input.device;
        var styleKeys = io.Keys.Where(k => k.StartsWith("styles.", StringComparison.Ordinal)).ToList();
        int kinds = (io.ContainsKey("z") ? 1 : 0) + (io.ContainsKey("ws") ? 1 : 0) + (styleKeys.Count > 0 ? 1 : 0);
        if (kinds != 1)
            throw new ArgumentException($"the inputs must hold exactly one of z, ws or styles.<layer>; found: {string.Join(", ", io.Keys)}");

        var results = new Dictionary<string, Tensor>();
        if (io.TryGetValue("z", out var z))
        {
            var w = g.Map(z.to(ScalarType.Float32, device));
            results["w"] = w;
            var ws = g.Truncate(g.Broadcast(w), psi, AverageLatent(g, psi, seed, log));
            results["ws"] = ws;
            results["images"] = g.Synthesize(ws, options);
        }
        else if (io.TryGetValue("ws", out var ws))
        {
            if (psi != 1)
                log.WriteLine("note: ws is synthesised as given; --truncation applies to z inputs only");
            results["images"] = g.Synthesize(ws.to(ScalarType.Float32, device), options);
        }
        else
        {
            var styles = new Tensor[g.StyleSpace.Count];
            foreach (var layer in g.StyleSpace.Layers)
            {
                string name = "styles." + (layout == CheckpointLayout.Nvidia ? layer.NvidiaName : layer.Name);
                styles[layer.Index] = io.TryGetValue(name, out var s) ? s.to(ScalarType.Float32, device)
                    : throw new ArgumentException($"missing '{name}' [N, {layer.Channels}]: S input needs every layer");
            }

            var known = g.StyleSpace.Layers.Select(l => "styles." + (layout == CheckpointLayout.Nvidia ? l.NvidiaName : l.Name)).ToHashSet();
            var unknown = styleKeys.Where(k => !known.Contains(k)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException($"unknown S layers {string.Join(", ", unknown)}; this checkpoint's layers: {string.Join(", ", known)}");
            results["images"] = g.SynthesizeFromStyles(styles, options);
        }

        return results;
    }

    /// <summary>The checkpoint's average latent, or (ψ ≠ 1 without one) rosinality's mean of 4096 mapped z.</summary>
    private static Tensor? AverageLatent(Generator g, double psi, long seed, TextWriter log)
    {
        if (psi == 1 || g.LatentAvg is not null)
            return null;
        log.WriteLine($"note: the checkpoint has no average latent; truncating toward the mean of {MeanLatentSamples} mapped z (seed {seed})");
        using var rng = new RandomGenerator((ulong)seed, g.Input.Input.device);
        return g.MeanLatent(MeanLatentSamples, rng);
    }

    private static NoiseMode ParseNoise(string text) => text switch
    {
        "random" => NoiseMode.Random,
        "none" => NoiseMode.None,
        _ => NoiseMode.Const,
    };

    private sealed class LoadedGenerator(Generator generator, CheckpointLayout layout) : IDisposable
    {
        public Generator Generator { get; } = generator;
        public CheckpointLayout Layout { get; } = layout;
        public void Dispose() => Generator.Dispose();
    }

    private static LoadedGenerator Load(string path, string? configPath, Device device)
    {
        HostAllocator.KeepFreedMemory();
        using var weights = StyleGan2Weights.Read(path);
        string? json = configPath is null ? null : File.ReadAllText(configPath);
        var g = Generator.FromWeights(weights, c => json is null ? c : StyleGan2ConfigFile.Apply(c, json));
        if (device != CPU)
            g.to(device);
        return new LoadedGenerator(g, weights.Layout);
    }

    private static int Guarded(ParseResult parse, Action body) => CommandErrors.Guarded(parse, body);
}
