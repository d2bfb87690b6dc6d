using System.CommandLine;
using StyleBridge.Engine.Editing;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Commands;

/// <summary>
/// <c>stylebridge invert --image IN.png [--refine-steps N] [--models DIR] --out DIR</c> and
/// <c>stylebridge edit --image IN.png | --latent LAT.safetensors --source TEXT --target TEXT [--method …] --out OUT.png</c>.
/// </summary>
internal static class EditCommands
{
    private static Option<string?> ModelsOption() => new("--models") { Description = $"model set directory (default: ${ModelSet.EnvironmentVariable}, else the bundled Shapes set, else ./weights/shapes)" };

    /// <summary>Decodes an image (limits checked before pixels), resizes it to the generator's size (Pillow bicubic), as [1, 3, n, n] in [−1, 1].</summary>
    private static Tensor LoadImage(string path, int size)
    {
        var bytes = File.ReadAllBytes(path);
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(bytes, ImageLimits.Default);
        }
        catch (ImageDecodeException e)
        {
            throw new ArgumentException($"{path}: not an image this service reads ({e.Message})", e);
        }
        if (image.Width != size || image.Height != size)
            image = PillowBicubic.Resize(image, size, size);
        return ImageTensors.ToTensor([image]);
    }

    private static void SaveLatent(string path, LatentCode code, StyleBridge.Models.StyleGan2.Generator g)
    {
        var tensors = new List<KeyValuePair<string, Tensor>> { new("w_plus", code.WPlus.contiguous()) };
        foreach (var layer in g.StyleSpace.Layers)
            tensors.Add(new("styles." + layer.Name, code.Styles[layer.Index].contiguous()));
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["note"] = "w_plus [1, L, W]; styles.<layer> [1, C] per S layer (rosinality names), the code that drew the image" });
    }

    private static LatentCode LoadLatent(string path, EditPipeline pipeline)
    {
        using var file = SafeTensors.Load(path);
        var g = pipeline.Generator;
        if (!file.TryGetValue("w_plus", out var wplus) || wplus.dim() != 3 || wplus.shape[1] != g.NLatent || wplus.shape[2] != g.Config.StyleDim || wplus.shape[0] < 1)
            throw new ArgumentException($"{path}: needs w_plus [B, {g.NLatent}, {g.Config.StyleDim}] (as stylebridge invert writes it)");
        using var code = pipeline.CodeOf(wplus.to(ScalarType.Float32));
        var styles = code.Styles.Select(s => s.clone()).ToArray();
        foreach (var layer in g.StyleSpace.Layers)
        {
            if (!file.TryGetValue("styles." + layer.Name, out var s))
                continue;
            if (!s.shape.SequenceEqual(styles[layer.Index].shape))
                throw new ArgumentException($"{path}: styles.{layer.Name} must be {TensorBytes.Format(styles[layer.Index].shape)}, got {TensorBytes.Format(s.shape)}");
            styles[layer.Index].Dispose();
            styles[layer.Index] = s.to(ScalarType.Float32).clone();
        }
        return new LatentCode(code.WPlus.clone(), styles);
    }

    private static void WritePng(string path, Tensor image)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, ImageEncoder.EncodePng(ImageTensors.FromTensor(image)[0]));
    }

    private static Option<int> RefineStepsOption(string description) => new("--refine-steps") { Description = description, DefaultValueFactory = _ => 0 };

    private static Option<string> RefineSpaceOption()
    {
        var option = new Option<string>("--refine-space")
        {
            Description = "where refinement optimises: w+ (one w per layer, the closest reconstruction) or w (one w for every layer: edits from it keep more of the image)",
            DefaultValueFactory = _ => "w+",
        };
        option.AcceptOnlyFromAmong([.. RefineSpaceNames.All]);
        return option;
    }

    public static Command Invert()
    {
        var image = new Option<string>("--image") { Description = "input image (PNG, JPEG, WebP)", Required = true };
        var refine = RefineStepsOption("optimisation steps after the encoder (0: none)");
        var refineSpace = RefineSpaceOption();
        var models = ModelsOption();
        var output = new Option<string>("--out") { Description = "output directory: reconstruction.png, latent.safetensors", Required = true };
        var command = new Command("invert", "image → CLIP → CSLA mappers → W+/S → image (optionally refined by optimisation)") { image, refine, refineSpace, models, output };
        command.SetAction((parse, cancel) => Task.FromResult(CommandErrors.Guarded(parse, () =>
        {
            using var pipeline = EditPipeline.Open(ModelSet.Open(parse.GetValue(models)));
            using var scope = NewDisposeScope();
            var input = LoadImage(parse.GetValue(image)!, pipeline.Generator.Config.Size);
            using var result = pipeline.Invert(input, parse.GetValue(refine), refineSpace: RefineSpaceNames.Parse(parse.GetValue(refineSpace)!), cancellation: cancel);
            string dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            WritePng(Path.Combine(dir, "reconstruction.png"), result.Images);
            SaveLatent(Path.Combine(dir, "latent.safetensors"), result.Code, pipeline.Generator);
            double psnr = Psnr(result.Images, input);
            parse.InvocationConfiguration.Output.WriteLine($"wrote {dir}/reconstruction.png and latent.safetensors (PSNR {psnr:F2} dB)");
        })));
        return command;
    }

    /// <summary>PSNR in dB of two images in [−1, 1] after 8-bit rounding, as the PNGs hold them.</summary>
    public static double Psnr(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        Tensor Bytes(Tensor x) => x.clamp(-1, 1).add(1).mul(127.5).round();
        double mse = Bytes(a).sub(Bytes(b)).square().mean().to(ScalarType.Float64).item<double>();
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    public static Command Edit()
    {
        var image = new Option<string?>("--image") { Description = "input image (goes through the CSLA encoder first)" };
        var latent = new Option<string?>("--latent") { Description = "latent.safetensors of stylebridge invert (w_plus, styles)" };
        var source = new Option<string>("--source") { Description = "source text", Required = true };
        var target = new Option<string>("--target") { Description = "target text", Required = true };
        var method = new Option<string>("--method") { Description = "global, deltaedit, csla or optimize", DefaultValueFactory = _ => "global" };
        method.AcceptOnlyFromAmong("global", "deltaedit", "csla", "optimize");
        var strength = new Option<double?>("--strength") { Description = "α (global: 4; csla: the CSLA file's edit strength, 0.8 in the Shapes set; deltaedit: 1; optimize: 1, scaling lr 0.1)" };
        var disentanglement = new Option<double>("--disentanglement") { Description = "β of global directions", DefaultValueFactory = _ => EditRequest.DefaultDisentanglement };
        var steps = new Option<int>("--steps") { Description = "latent optimisation steps", DefaultValueFactory = _ => 40 };
        var cslaDirection = new Option<string>("--csla-direction")
        {
            Description = "CSLA's Δw: residual, M(f_trg − f_src), or mapped-difference, M(f_trg) − M(f_src) (csla.md §6)",
            DefaultValueFactory = _ => "residual",
        };
        cslaDirection.AcceptOnlyFromAmong("residual", "mapped-difference");
        var seed = new Option<long>("--seed") { Description = "seed (reserved for stochastic methods; the four methods here are deterministic)", DefaultValueFactory = _ => 0 };
        var firstLayer = new Option<int>("--first-layer")
        {
            Description = "the first W+ layer the edit may move (0: all); earlier layers keep the source's (a colour edit on a generator trained with --colour-mixing: its --colour-layer)",
            DefaultValueFactory = _ => 0,
        };
        var colourLayers = new Option<bool>("--colour-layers")
        {
            Description = "confine the edit to the generator's colour layers (the first layer its file records; a generator trained with stylegan2-distill --colour-mixing); for colour edits",
        };
        var refine = RefineStepsOption("with --image: optimisation steps after the encoder, as stylebridge invert (0: the encoder alone)");
        var refineSpace = RefineSpaceOption();
        var models = ModelsOption();
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var command = new Command("edit", "edit an image or latent from a source text to a target text")
        {
            image, latent, source, target, method, strength, disentanglement, steps, cslaDirection, firstLayer, colourLayers, seed, refine, refineSpace, models, output,
        };
        command.SetAction((parse, cancel) => Task.FromResult(CommandErrors.Guarded(parse, () =>
        {
            if ((parse.GetValue(image) is null) == (parse.GetValue(latent) is null))
                throw new ArgumentException("give exactly one of --image and --latent");
            if (parse.GetValue(latent) is not null && parse.GetValue(refine) != 0)
                throw new ArgumentException("--refine-steps refines an --image's inversion; a --latent is edited as it is");
            var request = new EditRequest
            {
                Source = parse.GetValue(source)!,
                Target = parse.GetValue(target)!,
                Method = parse.GetValue(method) switch { "deltaedit" => EditMethod.DeltaEdit, "csla" => EditMethod.Csla, "optimize" => EditMethod.Optimize, _ => EditMethod.Global },
                Strength = parse.GetValue(strength),
                Disentanglement = parse.GetValue(disentanglement),
                Steps = parse.GetValue(steps),
                CslaDirection = parse.GetValue(cslaDirection) == "mapped-difference" ? CslaDirection.MappedDifference : CslaDirection.Residual,
                FirstLayer = parse.GetValue(firstLayer),
                ColourLayers = parse.GetValue(colourLayers),
            };
            request.Validate();
            using var pipeline = EditPipeline.Open(ModelSet.Open(parse.GetValue(models)));
            pipeline.CheckFirstLayer(request);
            using var scope = NewDisposeScope();
            LatentCode code;
            if (parse.GetValue(image) is { } imagePath)
            {
                using var inverted = pipeline.Invert(LoadImage(imagePath, pipeline.Generator.Config.Size), parse.GetValue(refine),
                    refineSpace: RefineSpaceNames.Parse(parse.GetValue(refineSpace)!), cancellation: cancel);
                code = new LatentCode(inverted.Code.WPlus.clone(), [.. inverted.Code.Styles.Select(s => s.clone())]);
            }
            else
            {
                code = LoadLatent(parse.GetValue(latent)!, pipeline);
            }
            using (code)
            using (var edited = pipeline.Edit(code, request, cancel))
            {
                WritePng(parse.GetValue(output)!, edited.Images[0].unsqueeze(0));
                string channels = edited.ChannelsManipulated >= 0 ? $", {edited.ChannelsManipulated} channels" : "";
                parse.InvocationConfiguration.Output.WriteLine($"wrote {parse.GetValue(output)} ({request.Method}, strength {pipeline.StrengthOf(request)}{channels})");
            }
        })));
        return command;
    }
}
