using System.Text.Json;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;
using StyleBridge.Models.Clip;

namespace StyleBridge.Cli.Tests.Clip;

public sealed class ScoreCommandTests
{
    private static readonly string[] Texts = ["a large red circle on the left", "a small cyan square at the top"];

    /// <summary>Three test pictures: a 64 px gradient (PNG), a 48×40 two-colour picture (PNG), a 50×70 JPEG.</summary>
    private static string[] WriteImages(TestModelSet set)
    {
        var gradient = new RgbImage(64, 64);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                gradient.SetPixel(x, y, (byte)(4 * x), (byte)(4 * y), 128);
        var halves = new RgbImage(48, 40);
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 48; x++)
                halves.SetPixel(x, y, x < 24 ? (byte)230 : (byte)20, 40, x < 24 ? (byte)40 : (byte)220);
        var noise = new RgbImage(50, 70);
        new Random(3).NextBytes(noise.Pixels);

        string[] paths = [set.File("gradient.png"), set.File("halves.png"), set.File("noise.jpg")];
        File.WriteAllBytes(paths[0], ImageEncoder.EncodePng(gradient));
        File.WriteAllBytes(paths[1], ImageEncoder.EncodePng(halves));
        File.WriteAllBytes(paths[2], ImageEncoder.EncodeJpeg(noise));
        return paths;
    }

    /// <summary>The cosine similarities computed here, from the golden model, independently of the command.</summary>
    private static float[,] Expected(string[] images, string[] texts)
    {
        using var scope = NewDisposeScope();
        using var model = TestModelSet.GoldenClip();
        using var inference = inference_mode();
        var tokenizer = ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", ModelSet.VocabFile));
        var ids = tensor(texts.SelectMany(t => tokenizer.Tokenize(t)).ToArray(), [texts.Length, ClipTokenizer.ContextLength]);
        var decoded = images.Select(p => ImageDecoder.Decode(File.ReadAllBytes(p))).ToList();
        var pixels = new ClipPreprocessor(model.Config.ImageResolution).ToTensor(decoded);
        var imageFeatures = model.EncodeImage(pixels);
        var textFeatures = model.EncodeText(ids);
        var result = new float[images.Length, texts.Length];
        for (int i = 0; i < images.Length; i++)
        {
            for (int j = 0; j < texts.Length; j++)
            {
                var a = imageFeatures[i];
                var b = textFeatures[j];
                result[i, j] = (float)(a.dot(b) / (a.norm() * b.norm())).item<float>();
            }
        }

        return result;
    }

    private static float[][] ParseScores(string output)
    {
        string text = output.Trim();
        Assert.DoesNotContain('\n', text); // exactly one JSON object on one line
        using var json = JsonDocument.Parse(text);
        Assert.Equal(["scores"], json.RootElement.EnumerateObject().Select(p => p.Name));
        return [.. json.RootElement.GetProperty("scores").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }

    [Fact]
    public void Prints_the_images_by_texts_cosine_similarities_of_the_set_clip()
    {
        using var set = new TestModelSet();
        string[] images = WriteImages(set);

        var result = Cli.Succeed(["clip", "score", "--models", set.Root, "--images", .. images, "--texts", .. Texts]);
        Assert.Equal("", result.Error);
        var scores = ParseScores(result.Output);

        var expected = Expected(images, Texts);
        Assert.Equal(images.Length, scores.Length);
        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(Texts.Length, scores[i].Length);
            for (int j = 0; j < Texts.Length; j++)
            {
                Assert.InRange(scores[i][j], -1f, 1f);
                Assert.True(Math.Abs(scores[i][j] - expected[i, j]) < 1e-5, $"[{i},{j}] {scores[i][j]} vs {expected[i, j]}");
            }
        }

        // the images differ, so their rows differ
        Assert.NotEqual(scores[0], scores[1]);
    }

    [Fact]
    public void Repeated_options_and_explicit_files_give_the_same_matrix()
    {
        using var set = new TestModelSet();
        string[] images = WriteImages(set);
        var fromSet = ParseScores(Cli.Succeed(["clip", "score", "--models", set.Root, "--images", images[0], "--texts", Texts[0], Texts[1]]).Output);
        var explicitFiles = ParseScores(Cli.Succeed([
            "clip", "score", "--weights", set.PathOf(ModelSet.ClipFile), "--vocab", set.PathOf(ModelSet.VocabFile),
            "--images", images[0], "--texts", Texts[0], "--texts", Texts[1],
        ]).Output);
        Assert.Equal(fromSet, explicitFiles);
        Assert.Single(fromSet);
    }

    [Fact]
    public void A_tampered_clip_file_is_refused_with_one_error_line()
    {
        using var set = new TestModelSet();
        string[] images = WriteImages(set);
        set.Tamper(ModelSet.ClipFile, new FileInfo(set.PathOf(ModelSet.ClipFile)).Length - 10);

        var result = Cli.Run(["clip", "score", "--models", set.Root, "--images", images[0], "--texts", Texts[0]]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.Contains(ModelSet.ClipFile, result.Error);
        Assert.Contains("does not match the manifest", result.Error);
    }

    [Fact]
    public void A_missing_image_or_an_unknown_set_is_an_error_naming_it()
    {
        using var set = new TestModelSet();
        string missing = set.File("no_such_image.png");
        var result = Cli.Run(["clip", "score", "--models", set.Root, "--images", missing, "--texts", Texts[0]]);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains("no_such_image.png", result.Error);

        string[] images = WriteImages(set);
        result = Cli.Run(["clip", "score", "--models", set.File("no_such_set"), "--images", images[0], "--texts", Texts[0]]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no_such_set", result.Error);

        string notImage = set.File("not_an_image.png");
        File.WriteAllText(notImage, "hello");
        result = Cli.Run(["clip", "score", "--models", set.Root, "--images", notImage, "--texts", Texts[0]]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not_an_image.png", result.Error);
    }
}
