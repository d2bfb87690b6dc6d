using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StyleBridge.Engine.Generation;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;

namespace StyleBridge.Cli.Commands;

/// <summary>
/// <c>stylebridge generate --prompt TEXT [--method prior|csla] [--num-images N] [--num-candidates K] [--seed S]
/// [--guidance-scale G] [--steps T] [--truncation PSI] [--csla-text-centre neutral|prompt|image] [--models DIR] --out DIR</c>: N images, each the best of K
/// candidates by CLIP score, written best first as <c>0.png</c>, <c>1.png</c>, … with <c>result.json</c>.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var prompt = new Option<string>("--prompt") { Description = "the text", Required = true };
        var method = new Option<string>("--method") { Description = "prior (clip2latent) or csla", DefaultValueFactory = _ => "prior" };
        method.AcceptOnlyFromAmong("prior", "csla");
        var numImages = new Option<int>("--num-images") { Description = $"output images (1–{GenerationRequest.MaxImages})", DefaultValueFactory = _ => 1 };
        var numCandidates = new Option<int>("--num-candidates") { Description = $"candidates per image, re-ranked by CLIP (1–{GenerationRequest.MaxCandidates})", DefaultValueFactory = _ => 16 };
        var seed = new Option<long>("--seed") { Description = "request seed (image i uses its own seed derived from it)", DefaultValueFactory = _ => 0 };
        var guidance = new Option<double>("--guidance-scale") { Description = "classifier-free guidance of the prior", DefaultValueFactory = _ => 2.0 };
        var steps = new Option<int>("--steps") { Description = "prior sampling steps (divides 1000)", DefaultValueFactory = _ => 4 };
        var truncation = new Option<double?>("--truncation") { Description = "ψ toward the prior's latent mean (default 1); CSLA: strength α (default: the CSLA file's text strength)" };
        var textCentre = new Option<string>("--csla-text-centre")
        {
            Description = "CSLA: the prompt's embedding relative to the mappers' text centre (neutral: the file's image-bank prototype or calibrated c_txt, else the neutral prompt), " +
                          "to the neutral prompt itself (prompt) or to the training image centre (image; csla.md §3.4)",
            DefaultValueFactory = _ => "neutral",
        };
        textCentre.AcceptOnlyFromAmong("neutral", "prompt", "image");
        var models = new Option<string?>("--models") { Description = $"model set directory (default: ${ModelSet.EnvironmentVariable}, else the bundled Shapes set, else ./weights/shapes)" };
        var output = new Option<string>("--out") { Description = "output directory", Required = true };
        var command = new Command("generate", "text to image: prior or CSLA latents, StyleGAN2, CLIP re-ranking")
        {
            prompt, method, numImages, numCandidates, seed, guidance, steps, truncation, textCentre, models, output,
        };
        command.SetAction((parse, cancel) => Task.FromResult(CommandErrors.Guarded(parse, () =>
        {
            var request = new GenerationRequest
            {
                Prompt = parse.GetValue(prompt)!,
                Method = parse.GetValue(method) == "csla" ? GenerationMethod.Csla : GenerationMethod.Prior,
                NumImages = parse.GetValue(numImages),
                NumCandidates = parse.GetValue(numCandidates),
                Seed = parse.GetValue(seed),
                GuidanceScale = parse.GetValue(guidance),
                Steps = parse.GetValue(steps),
                Truncation = parse.GetValue(truncation),
                CslaTextCentre = Enum.Parse<CslaTextCentre>(parse.GetValue(textCentre)!, ignoreCase: true),
            };
            request.Validate();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var pipeline = TextToImagePipeline.Open(ModelSet.Open(parse.GetValue(models)));
            double loadSeconds = clock.Elapsed.TotalSeconds;
            using var result = pipeline.Generate(request, cancel);
            string dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var files = new List<object>();
            for (int i = 0; i < result.Images.Count; i++)
            {
                var image = result.Images[i];
                using var batch = image.Image.unsqueeze(0);
                string file = i.ToString(CultureInfo.InvariantCulture) + ".png";
                File.WriteAllBytes(Path.Combine(dir, file), ImageEncoder.EncodePng(ImageTensors.FromTensor(batch)[0]));
                files.Add(new { file, index = image.Index, seed = image.Seed, candidate = image.Candidate, clip_score = image.ClipScore });
            }

            var t = result.Timings;
            var json = new
            {
                prompt = request.Prompt,
                method = request.Method.ToString().ToLowerInvariant(),
                num_images = request.NumImages,
                num_candidates = request.NumCandidates,
                seed = request.Seed,
                guidance_scale = request.GuidanceScale,
                steps = request.Steps,
                truncation = pipeline.EffectiveTruncation(request),
                csla_text_centre = request.Method == GenerationMethod.Csla ? request.CslaTextCentre.ToString().ToLowerInvariant() : null,
                models = pipeline.Clip is null ? null : Path.GetFullPath(ModelSet.Open(parse.GetValue(models)).Directory),
                images = files,
                timings = new { load_s = loadSeconds, text_s = t.TextSeconds, latent_s = t.LatentSeconds, synthesis_s = t.SynthesisSeconds, rerank_s = t.RerankSeconds, total_s = t.TotalSeconds },
            };
            File.WriteAllText(Path.Combine(dir, "result.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {result.Images.Count} images to {dir} (best score {result.Images[0].ClipScore:F4}; {t.TotalSeconds:F2} s after {loadSeconds:F2} s loading)");
        })));
        return command;
    }
}
