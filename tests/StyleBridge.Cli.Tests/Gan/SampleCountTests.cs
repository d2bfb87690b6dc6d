using System.Globalization;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Imaging;

namespace StyleBridge.Cli.Tests.Gan;

/// <summary><c>gan sample --count N --out DIR</c> with the model set's generator.</summary>
public sealed class SampleCountTests
{
    private static string[] Sample(TestModelSet set, long seed, int count, string dirName, params string[] extra)
    {
        string dir = set.File(dirName);
        var result = Cli.Succeed([
            "gan", "sample", "--models", set.Root, "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture), "--out", dir, .. extra,
        ]);
        var expected = Enumerable.Range(0, count).Select(i => Path.Combine(dir, $"{i}.png")).ToArray();
        Assert.Equal(expected, Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray());
        foreach (string file in expected)
            Assert.Contains(file, result.Output);
        return expected;
    }

    [Fact]
    public void Writes_count_pngs_of_the_generator_size_that_depend_only_on_the_seed()
    {
        using var set = new TestModelSet();
        string[] first = Sample(set, 5, 3, "a");
        var images = new List<RgbImage>();
        foreach (string file in first)
        {
            var image = ImageDecoder.Decode(File.ReadAllBytes(file), null, out var info);
            images.Add(image);
            Assert.Equal(ImageFormat.Png, info.Format);
            Assert.Equal(TestModelSet.GeneratorSize, image.Width);
            Assert.Equal(TestModelSet.GeneratorSize, image.Height);
            Assert.True(image.Pixels.Distinct().Count() > 2, "a sample is (nearly) flat");
        }

        Assert.NotEqual(images[0].Pixels, images[1].Pixels);
        Assert.NotEqual(images[1].Pixels, images[2].Pixels);

        string[] again = Sample(set, 5, 3, "b");
        for (int i = 0; i < 3; i++)
            Assert.Equal(File.ReadAllBytes(first[i]), File.ReadAllBytes(again[i]));

        string[] other = Sample(set, 6, 3, "c");
        for (int i = 0; i < 3; i++)
            Assert.NotEqual(File.ReadAllBytes(first[i]), File.ReadAllBytes(other[i]));
    }

    [Fact]
    public void Threads_option_is_accepted_and_a_bad_count_is_refused()
    {
        using var set = new TestModelSet();
        Sample(set, 3, 2, "threads", "--threads", "2");
        var refused = Cli.Run("gan", "sample", "--models", set.Root, "--seed", "1", "--threads", "x", "--out", set.File("bad"));
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public void Image_i_does_not_depend_on_the_count_and_image_0_is_the_single_file_sample()
    {
        using var set = new TestModelSet();
        string[] two = Sample(set, 9, 2, "two");
        string[] four = Sample(set, 9, 4, "four");
        Assert.Equal(File.ReadAllBytes(two[0]), File.ReadAllBytes(four[0]));
        Assert.Equal(File.ReadAllBytes(two[1]), File.ReadAllBytes(four[1]));

        // the earlier contract: --weights FILE --out X.png writes one file, the first image of the seed
        string png = set.File("single.png");
        Cli.Succeed("gan", "sample", "--weights", set.PathOf(ModelSet.GeneratorFile), "--seed", "9", "--out", png);
        Assert.Equal(File.ReadAllBytes(two[0]), File.ReadAllBytes(png));
    }

    [Fact]
    public void Truncation_pulls_toward_the_average_and_one_is_the_default()
    {
        using var set = new TestModelSet();
        string[] plain = Sample(set, 2, 1, "plain");
        string[] psiOne = Sample(set, 2, 1, "one", "--truncation", "1");
        string[] psiHalf = Sample(set, 2, 1, "half", "--truncation", "0.5");
        Assert.Equal(File.ReadAllBytes(plain[0]), File.ReadAllBytes(psiOne[0]));
        Assert.NotEqual(File.ReadAllBytes(plain[0]), File.ReadAllBytes(psiHalf[0]));
    }

    [Fact]
    public void A_png_out_with_a_count_above_one_or_a_bad_count_is_refused()
    {
        using var set = new TestModelSet();
        var result = Cli.Run("gan", "sample", "--models", set.Root, "--seed", "1", "--count", "2", "--out", set.File("x.png"));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Error);
        Assert.Contains("x.png", result.Error);

        result = Cli.Run("gan", "sample", "--models", set.Root, "--seed", "1", "--count", "0", "--out", set.File("dir"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--count", result.Error);
    }

    [Fact]
    public void A_tampered_or_unrecorded_generator_is_refused()
    {
        using var set = new TestModelSet();
        set.Tamper(ModelSet.GeneratorFile, 4000);
        var result = Cli.Run("gan", "sample", "--models", set.Root, "--seed", "1", "--out", set.File("out"));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error:", result.Error);
        Assert.Contains(ModelSet.GeneratorFile, result.Error);
        Assert.Contains("does not match the manifest", result.Error);
        Assert.False(Directory.Exists(set.File("out")));

        using var empty = new TestModelSet();
        var manifest = ModelManifest.Load(empty.Root);
        manifest.Files.Remove(ModelSet.GeneratorFile);
        manifest.Save(empty.Root);
        result = Cli.Run("gan", "sample", "--models", empty.Root, "--seed", "1", "--out", empty.File("out"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not recorded", result.Error);
    }
}
