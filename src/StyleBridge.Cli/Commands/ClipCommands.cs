using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Commands;

internal static class ClipCommands
{
    public static Command Create() => new("clip", "CLIP tokenizer and encoders")
    {
        Tokenize(),
        Encode(),
        Score(),
    };

    /// <summary><c>stylebridge clip tokenize --vocab FILE TEXT...</c>: one JSON array of ids per text.</summary>
    private static Command Tokenize()
    {
        var vocab = new Option<FileInfo>("--vocab") { Description = "bpe_simple_vocab_16e6.txt.gz (or an uncompressed copy)", Required = true };
        var contextLength = new Option<int>("--context-length") { Description = "ids per text", DefaultValueFactory = _ => ClipTokenizer.ContextLength };
        var truncate = new Option<bool>("--truncate") { Description = "cut long texts to the context length (ending in <|endoftext|>) instead of failing" };
        var noFtfy = new Option<bool>("--no-ftfy") { Description = "skip the ftfy text fixes" };
        var texts = new Argument<string[]>("text") { Description = "texts to tokenize", Arity = ArgumentArity.OneOrMore };
        var command = new Command("tokenize", "Print CLIP token ids as JSON lines") { vocab, contextLength, truncate, noFtfy, texts };
        command.SetAction(result =>
        {
            string vocabPath = result.GetValue(vocab)!.FullName;
            ClipTokenizer tokenizer;
            try
            {
                tokenizer = ClipTokenizer.FromOpenAiVocab(vocabPath, fixText: !result.GetValue(noFtfy));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                result.InvocationConfiguration.Error.WriteLine($"error: cannot read the vocabulary {vocabPath}: {e.Message}");
                return 1;
            }

            int length = result.GetValue(contextLength);
            bool cut = result.GetValue(truncate);
            foreach (string text in result.GetValue(texts)!)
            {
                try
                {
                    result.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(tokenizer.Tokenize(text, length, cut)));
                }
                catch (ClipTokenizerException e)
                {
                    result.InvocationConfiguration.Error.WriteLine($"error: {e.Message} (use --truncate to cut it)");
                    return 1;
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// <c>stylebridge clip encode --weights FILE [--config FILE] --inputs IN.safetensors --out OUT.safetensors</c>:
    /// <c>text_ids</c> (int64 [N, 77]) and/or <c>images</c> (float32 [M, 3, R, R], normalised) in;
    /// <c>text_features</c>, <c>image_features</c> (not normalised) and, with both, the logits out.
    /// </summary>
    private static Command Encode()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "CLIP weights: OpenAI TorchScript .pt, torch.save state dict, or safetensors (OpenAI or Hugging Face names)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "JSON with constructor arguments overriding what shapes imply (e.g. transformer_heads)" };
        var inputs = new Option<FileInfo>("--inputs") { Description = "safetensors with text_ids and/or images", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "safetensors to write", Required = true };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "float32, or on CUDA float16 / bfloat16", DefaultValueFactory = _ => "float32" };
        var batchSize = new Option<int>("--batch-size") { Description = "items per forward pass", DefaultValueFactory = _ => 64 };
        var command = new Command("encode", "Encode token ids and images with CLIP") { weights, config, inputs, output, device, dtype, batchSize };
        command.SetAction(result =>
        {
            try
            {
                var target = torch.device(result.GetValue(device)!);
                var precision = ParseDtype(result.GetValue(dtype)!);
                int batch = result.GetValue(batchSize);
                if (batch <= 0)
                    throw new ArgumentException("--batch-size must be positive");
                var configFile = result.GetValue(config);
                Func<ClipConfig, ClipConfig>? configure = configFile is null ? null : c => c.WithJsonFile(configFile.FullName);
                RunEncode(result.GetValue(weights)!.FullName, configure, result.GetValue(inputs)!.FullName, result.GetValue(output)!.FullName,
                    target, precision, batch, result.InvocationConfiguration.Output);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException or WeightFormatException
                                          or StateDictMismatchException or NotSupportedException or System.Runtime.InteropServices.ExternalException)
            {
                result.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>
    /// <c>stylebridge clip score --images A.png B.png … --texts "t1" "t2" … [--models DIR] [--weights FILE] [--vocab FILE]</c>:
    /// one JSON object <c>{"scores": [[…]]}</c> on stdout, rows = images, columns = texts, the cosine similarity of the
    /// normalised CLIP features (no logit scale). Images (PNG, JPEG, WebP) are preprocessed as CLIP preprocesses them
    /// (<see cref="ClipPreprocessor"/> at the model's image resolution). The model and vocabulary come from the model set
    /// (default: the Shapes set) unless <c>--weights</c> / <c>--vocab</c> name files.
    /// </summary>
    private static Command Score()
    {
        var images = new Option<string[]>("--images") { Description = "image files (PNG, JPEG, WebP)", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var texts = new Option<string[]>("--texts") { Description = "texts to score against every image", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
        var models = new Option<string?>("--models") { Description = $"model set directory (default: ${ModelSet.EnvironmentVariable}, else the bundled Shapes set, else ./weights/shapes)" };
        var weights = new Option<string?>("--weights") { Description = "CLIP weights overriding the set's clip.safetensors (any format clip encode reads)" };
        var vocab = new Option<string?>("--vocab") { Description = "bpe_simple_vocab_16e6.txt.gz overriding the set's" };
        var command = new Command("score", "Print the cosine similarities of images and texts as one JSON object") { images, texts, models, weights, vocab };
        command.SetAction(result =>
        {
            try
            {
                var scores = RunScore(result.GetValue(images)!, result.GetValue(texts)!, result.GetValue(models), result.GetValue(weights), result.GetValue(vocab));
                result.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, float[][]> { ["scores"] = scores }));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException or WeightFormatException or ModelSetException
                                          or ClipTokenizerException or ImageDecodeException or StateDictMismatchException or NotSupportedException
                                          or UnauthorizedAccessException or System.Runtime.InteropServices.ExternalException)
            {
                result.InvocationConfiguration.Error.WriteLine($"error: {OneLine(e.Message)}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The images × texts cosine-similarity matrix (see <see cref="Score"/>).</summary>
    internal static float[][] RunScore(IReadOnlyList<string> imagePaths, IReadOnlyList<string> texts, string? modelsDirectory, string? weightsPath, string? vocabPath)
    {
        if (imagePaths.Count == 0 || texts.Count == 0)
            throw new ArgumentException("give at least one image (--images) and one text (--texts)");
        var decoded = new List<RgbImage>(imagePaths.Count);
        foreach (string path in imagePaths)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: no such image file", path);
            try
            {
                decoded.Add(ImageDecoder.Decode(File.ReadAllBytes(path)));
            }
            catch (ImageDecodeException e)
            {
                throw new ArgumentException($"{path}: {e.Message}", e);
            }
        }

        ModelSet? set = weightsPath is null || vocabPath is null ? ModelSet.Open(modelsDirectory) : null;
        var tokenizer = vocabPath is null ? set!.LoadTokenizer() : ClipTokenizer.FromOpenAiVocab(vocabPath);
        var ids = ClipTokenIds.FromTexts(tokenizer, texts);
        using var model = weightsPath is null ? set!.LoadClip() : ModelSet.LoadClipFile(weightsPath);

        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var pixels = new ClipPreprocessor(model.Config.ImageResolution).ToTensor(decoded);
        var imageFeatures = ClipModel.Normalize(model.EncodeImage(pixels));
        var textFeatures = ClipModel.Normalize(model.EncodeText(ids));
        var similarity = matmul(imageFeatures, textFeatures.t()).to(ScalarType.Float32).cpu().contiguous();
        float[] flat = similarity.data<float>().ToArray();
        return [.. Enumerable.Range(0, imagePaths.Count).Select(i => flat.AsSpan(i * texts.Count, texts.Count).ToArray())];
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private static ScalarType ParseDtype(string text) => text.ToLowerInvariant() switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new FormatException($"'{text}' is not a dtype (float32, float16, bfloat16)"),
    };

    private static void RunEncode(string weightsPath, Func<ClipConfig, ClipConfig>? configure, string inputsPath, string outputPath,
        Device device, ScalarType dtype, int batch, TextWriter log)
    {
        using var model = ClipLoader.Load(weightsPath, configure, device.IsCuda() ? device : null, dtype);
        using var inputs = SafeTensors.Load(inputsPath);
        inputs.TryGet("text_ids", out var ids);
        inputs.TryGet("images", out var images);
        if (ids is null && images is null)
            throw new ArgumentException($"{inputsPath} holds neither 'text_ids' nor 'images'");

        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var results = new List<KeyValuePair<string, Tensor>>();
        Tensor? textFeatures = null, imageFeatures = null;
        if (ids is not null)
        {
            textFeatures = InBatches(ids, batch, chunk => model.EncodeText(chunk.to(device)));
            results.Add(new("text_features", textFeatures));
        }

        if (images is not null)
        {
            if (images.dtype != ScalarType.Float32)
                throw new ArgumentException($"'images' must be float32, got {images.dtype}");
            imageFeatures = InBatches(images, batch, chunk => model.EncodeImage(chunk.to(device)));
            results.Add(new("image_features", imageFeatures));
        }

        if (textFeatures is not null && imageFeatures is not null)
        {
            var logits = model.Logits(imageFeatures, textFeatures);
            results.Add(new("logits_per_image", logits.PerImage));
            results.Add(new("logits_per_text", logits.PerText));
        }

        var metadata = new Dictionary<string, string>
        {
            ["weights"] = Path.GetFileName(weightsPath),
            ["config"] = model.Config.ToJson(),
            ["dtype"] = dtype.ToString(),
            ["device"] = device.ToString(),
        };
        SafeTensors.Save(outputPath, results.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.@float().cpu())), metadata);
        foreach (var (name, tensor) in results)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} [{string.Join(", ", tensor.shape)}]"));
    }

    private static Tensor InBatches(Tensor input, int batch, Func<Tensor, Tensor> encode)
    {
        long n = input.size(0);
        if (n <= batch)
            return encode(input);
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += batch)
            parts.Add(encode(input.narrow(0, start, Math.Min(batch, n - start))));
        return cat(parts, 0);
    }
}
