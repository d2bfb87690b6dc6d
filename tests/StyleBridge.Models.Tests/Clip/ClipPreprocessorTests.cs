using System.Globalization;
using System.Text.Json;
using StyleBridge.Imaging;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests;

/// <summary>The Pillow-exact photo path against <c>preprocess_cases.safetensors</c>.</summary>
public sealed class ClipPreprocessorTests
{
    private sealed record Case(string Name, int InputWidth, int InputHeight, int ResizedWidth, int ResizedHeight, int CropLeft, int CropTop);

    private static StateDict LoadCases(out int resolution, out List<Case> cases)
    {
        var file = SafeTensors.Load(GoldenData.Path("clip", "preprocess_cases.safetensors"));
        resolution = int.Parse(file.Metadata["n_px"], CultureInfo.InvariantCulture);
        using var json = JsonDocument.Parse(file.Metadata["cases"]);
        cases = json.RootElement.EnumerateArray().Select(c => new Case(
            c.GetProperty("name").GetString()!,
            c.GetProperty("input_width").GetInt32(), c.GetProperty("input_height").GetInt32(),
            c.GetProperty("resized_width").GetInt32(), c.GetProperty("resized_height").GetInt32(),
            c.GetProperty("crop_left").GetInt32(), c.GetProperty("crop_top").GetInt32())).ToList();
        return file;
    }

    private static RgbImage Image(Tensor hwc)
    {
        Assert.Equal(3, hwc.size(2));
        return new RgbImage((int)hwc.size(1), (int)hwc.size(0), hwc.ToArray<byte>());
    }

    [Fact]
    public void MetadataConstantsAreClips()
    {
        using var file = LoadCases(out _, out var cases);
        Assert.NotEmpty(cases);
        var mean = file.Metadata["mean"].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture));
        var std = file.Metadata["std"].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture));
        Assert.Equal(mean, ClipPreprocessor.Mean);
        Assert.Equal(std, ClipPreprocessor.Std);
    }

    [Fact]
    public void EveryCaseIsBitExact()
    {
        using var file = LoadCases(out int resolution, out var cases);
        var preprocessor = new ClipPreprocessor(resolution);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var input = Image(file[c.Name + "_input"]);
            Assert.Equal((c.InputWidth, c.InputHeight), (input.Width, input.Height));
            Assert.Equal((c.ResizedWidth, c.ResizedHeight), ClipPreprocessor.ResizedSize(input.Width, input.Height, resolution));

            var resized = preprocessor.Resize(input);
            var expectedResized = Image(file[c.Name + "_resized"]);
            if (!resized.Pixels.AsSpan().SequenceEqual(expectedResized.Pixels) || resized.Width != expectedResized.Width)
                failures.Add($"{c.Name}: resized differs in {CountDifferences(resized.Pixels, expectedResized.Pixels)} bytes");

            var cropped = preprocessor.CenterCrop(expectedResized);
            var expectedCropped = Image(file[c.Name + "_cropped"]);
            if (!cropped.Pixels.AsSpan().SequenceEqual(expectedCropped.Pixels))
                failures.Add($"{c.Name}: crop at ({c.CropLeft}, {c.CropTop}) differs");

            var output = preprocessor.Preprocess(input);
            var expectedOutput = file[c.Name + "_output"].ToArray<float>();
            if (!output.Select(BitConverter.SingleToInt32Bits).SequenceEqual(expectedOutput.Select(BitConverter.SingleToInt32Bits)))
                failures.Add($"{c.Name}: output not bit-exact, max |Δ| {output.Zip(expectedOutput).Max(p => Math.Abs(p.First - p.Second)):E2}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void BatchTensorHoldsEachCaseOutput()
    {
        using var file = LoadCases(out int resolution, out var cases);
        var preprocessor = new ClipPreprocessor(resolution);
        var images = cases.Select(c => Image(file[c.Name + "_input"])).ToList();
        using var scope = NewDisposeScope();
        var batch = preprocessor.ToTensor(images);
        Assert.Equal([cases.Count, 3, resolution, resolution], batch.shape);
        for (int i = 0; i < cases.Count; i++)
            Assert.True(batch.select(0, i).Equal(file[cases[i].Name + "_output"]), cases[i].Name);
    }

    private static int CountDifferences(byte[] a, byte[] b) => a.Length != b.Length ? -1 : a.Zip(b).Count(p => p.First != p.Second);
}
