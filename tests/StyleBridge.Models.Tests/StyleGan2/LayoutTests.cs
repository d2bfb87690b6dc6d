using System.Text.Json;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Xunit.Abstractions;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>The two checkpoint layouts: full-size manifests, the name map, round trips and images across layouts.</summary>
public class LayoutTests(ITestOutputHelper output)
{
    private static JsonElement ReadJson(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(StyleGanGolden.Root, name))).RootElement;

    private static string OpName(LayoutOp op) => op switch
    {
        LayoutOp.Copy => "copy",
        LayoutOp.Reshape => "reshape",
        LayoutOp.Times4 => "x4",
        _ => "nv_only_filter",
    };

    private static long[] Shape(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    /// <summary>Zero-cost stand-ins with the manifest's names and shapes (a broadcast scalar each).</summary>
    private static Dictionary<string, Tensor> ManifestTensors(JsonElement manifest)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in manifest.GetProperty("tensors").EnumerateArray())
            result[t.GetProperty("name").GetString()!] = zeros(new long[] {  }).expand(Shape(t.GetProperty("shape")));
        return result;
    }

    private static void AssertNamesAndShapes(JsonElement manifest, IEnumerable<KeyValuePair<string, Tensor>> actual)
    {
        var expected = manifest.GetProperty("tensors").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, string.Join(",", Shape(t.GetProperty("shape"))))).ToList();
        var got = actual.Select(kv => (kv.Key, string.Join(",", kv.Value.shape))).ToList();
        Assert.Equal(expected, got);
        Assert.Equal(manifest.GetProperty("num_tensors").GetInt32(), got.Count);
    }

    [Fact]
    public void RosinalityManifestBuildsAGeneratorWithExactlyItsNamesAndShapes()
    {
        var manifest = ReadJson("manifest_rosinality_ffhq1024.json");
        using var scope = NewDisposeScope();
        var tensors = ManifestTensors(manifest);
        tensors["latent_avg"] = zeros(new long[] {  }).expand(512);
        using var weights = StyleGan2Weights.FromTensors(tensors);
        Assert.Equal(CheckpointLayout.Rosinality, weights.Layout);
        Assert.Equal(1024, weights.Config.Size);
        Assert.Equal(manifest.GetProperty("n_latent").GetInt32(), weights.Config.NLatent);
        foreach (var (res, c) in manifest.GetProperty("channels").EnumerateObject().Select(p => (int.Parse(p.Name), p.Value.GetInt32())))
            Assert.Equal(c, weights.Config.Channels[res]);

        using var g = Generator.FromWeights(weights);
        AssertNamesAndShapes(manifest, StateDicts.Of(g));
        Assert.Equal(manifest.GetProperty("num_parameters").GetInt64(), g.ParameterCount());
        Assert.Equal(manifest.GetProperty("num_buffer_elements").GetInt64(), g.state_dict().Where(kv => !g.named_parameters().Any(p => p.name == kv.Key)).Sum(kv => kv.Value.numel()));
        Assert.NotNull(g.LatentAvg);
    }

    [Fact]
    public void NvidiaManifestBuildsAGeneratorWhoseNvidiaStateDictHasExactlyItsNamesAndShapes()
    {
        var manifest = ReadJson("manifest_nvidia_ffhq1024.json");
        using var scope = NewDisposeScope();
        var tensors = ManifestTensors(manifest);
        using var weights = StyleGan2Weights.FromTensors(tensors, manifest.GetProperty("init_kwargs").GetRawText());
        Assert.Equal(CheckpointLayout.Nvidia, weights.Layout);
        var config = weights.Config;
        Assert.Equal(manifest.GetProperty("num_ws").GetInt32(), config.NLatent);
        Assert.Equal(256, config.ConvClamp);
        Assert.Equal(4, config.NumFp16Res);
        Assert.Equal(manifest.GetProperty("fp16_blocks").EnumerateArray().Select(e => e.GetInt32()), config.Resolutions.Where(config.UsesFp16));

        using var g = new Generator(config);
        Assert.NotNull(weights.LatentAvg);
        using var nvidia = NvidiaLayout.FromRosinality(g.state_dict(), weights.LatentAvg!, config);
        AssertNamesAndShapes(manifest, nvidia);
        Assert.Equal(manifest.GetProperty("num_parameters").GetInt64(), g.ParameterCount());
    }

    [Fact]
    public void NameMapDerivedByRuleIsTheReferenceTableFor1024()
    {
        var table = ReadJson("mapping_rosinality_nvidia_ffhq1024.json").GetProperty("tensors").EnumerateArray().ToList();
        var rows = NvidiaLayout.Rows(StyleGan2Config.ConfigF(1024)).ToDictionary(r => r.Nvidia);
        Assert.Equal(table.Count, rows.Count);
        foreach (var t in table)
        {
            string nv = t.GetProperty("nvidia").GetString()!;
            string? ros = t.GetProperty("rosinality").GetString();
            string op = t.GetProperty("op").GetString()!;
            var row = rows[nv];
            Assert.Equal(ros, row.Rosinality);
            Assert.Equal(op, OpName(row.Op));
            Assert.Equal(Shape(t.GetProperty("nvidia_shape")), row.NvidiaShape);
            if (ros is not null)
                Assert.Equal(Shape(t.GetProperty("rosinality_shape")), row.RosinalityShape!);
            var (ruleRos, ruleOp) = NvidiaLayout.ToRosinalityName(nv);
            Assert.Equal(ros, ruleRos);
            Assert.Equal(op, OpName(ruleOp));
        }

        Assert.Throws<ArgumentException>(() => NvidiaLayout.ToRosinalityName("mapping.embed.weight"));
        Assert.Throws<ArgumentException>(() => NvidiaLayout.ToRosinalityName("synthesis.b4.conv0.weight"));
    }

    public static TheoryData<string> Pairs()
    {
        // sets present in both layouts under the same name
        var data = new TheoryData<string>();
        foreach (var name in StyleGanGolden.Sets.Where(s => s.Folder == "rosinality").Select(s => s.Name)
                     .Intersect(StyleGanGolden.Sets.Where(s => s.Folder == "nvidia").Select(s => s.Name)))
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void StateDictsRoundTripExactlyInBothDirections(string name)
    {
        using var scope = NewDisposeScope();
        using var ros = SafeTensors.Load(StyleGanGolden.Set("rosinality/" + name).StatePath);
        var latent = StyleGanGolden.Io(StyleGanGolden.Set("rosinality/" + name))["mean_latent"];
        using (var nv = NvidiaLayout.FromRosinality(ros, latent))
        using (var back = NvidiaLayout.ToRosinality(nv))
        {
            Assert.Equal(ros.Count + 1, back.Count);
            foreach (var (key, value) in ros)
                Assert.True(back[key].Equal(value), key);
            Assert.True(back["latent_avg"].Equal(latent.reshape(-1)));
        }

        using var nvidia = SafeTensors.Load(StyleGanGolden.Set("nvidia/" + name).StatePath);
        using var rosinality = NvidiaLayout.ToRosinality(nvidia);
        using var again = NvidiaLayout.FromRosinality(rosinality, rosinality["latent_avg"]);
        Assert.Equal(nvidia.Count, again.Count);
        foreach (var (key, value) in nvidia)
            Assert.True(again[key].Equal(value), key);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void NvidiaWeightsInTheRosinalityConfiguredModelReproduceTheNvidiaGoldens(string name)
    {
        var set = StyleGanGolden.Set("nvidia/" + name);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var nvidia = SafeTensors.Load(set.StatePath);
        using var rosinality = NvidiaLayout.ToRosinality(nvidia);
        using var g = new Generator(StyleGan2Config.FromStateDict(rosinality));
        g.LoadWeights(rosinality);
        Assert.Equal(DemodulationEpsilon.Rosinality, g.Config.DemodulationEpsilon);
        foreach (string image in GoldenCases.For(set).Where(c => c.StartsWith("image:", StringComparison.Ordinal)).Select(c => c[6..]))
        {
            double d = TensorDiff.MaxAbs(GoldenCases.Image(set, g, image, ScalarType.Float32), StyleGanGolden.Io(set)[image]);
            output.WriteLine($"nvidia weights, rosinality config, {name} {image}: {d:E2}");
            Assert.True(d <= StyleGanGolden.ImageTolerance, $"{image}: {d:E3}");
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void RosinalityWeightsThroughTheNvidiaLayoutGiveTheSameImages(string name)
    {
        var set = StyleGanGolden.Set("rosinality/" + name);
        var direct = StyleGanGolden.Model(set);
        var direct64 = StyleGanGolden.Model(set, ScalarType.Float64);
        string dir = Directory.CreateTempSubdirectory("sg2-layout-").FullName;
        try
        {
            string path = Path.Combine(dir, name + "_nvidia.safetensors");
            using (var scope = NewDisposeScope())
            using (var ros = SafeTensors.Load(set.StatePath))
            using (var nv = NvidiaLayout.FromRosinality(ros, StyleGanGolden.Io(set)["mean_latent"]))
            {
                var c = direct.Config;
                string kwargs = JsonSerializer.Serialize(new
                {
                    z_dim = c.ZDim, c_dim = 0, w_dim = c.StyleDim, img_resolution = c.Size, img_channels = 3,
                    mapping_kwargs = new { num_layers = c.NMlp }, num_fp16_res = 4, conv_clamp = 256,
                });
                SafeTensors.Save(path, nv, new Dictionary<string, string> { ["init_kwargs"] = kwargs });
            }

            using var viaNvidia = Generator.FromFile(path);
            using var viaNvidia64 = Generator.FromFile(path);
            viaNvidia64.to(ScalarType.Float64);
            using var matched64 = Generator.FromFile(path, c => c with { DemodulationEpsilon = DemodulationEpsilon.Rosinality });
            matched64.to(ScalarType.Float64);
            Assert.Equal(DemodulationEpsilon.Nvidia, viaNvidia.Config.DemodulationEpsilon);
            Assert.Equal(256, viaNvidia.Config.ConvClamp);

            using var scope2 = NewDisposeScope();
            using var mode = inference_mode();
            double worstEps = 0;
            foreach (string image in GoldenCases.For(set).Where(c => c.StartsWith("image:", StringComparison.Ordinal)).Select(c => c[6..]))
            {
                var reference = StyleGanGolden.Io(set)[image];
                double vsGolden = TensorDiff.MaxAbs(GoldenCases.Image(set, viaNvidia, image, ScalarType.Float32), reference);
                double vsDirect = TensorDiff.MaxAbs(GoldenCases.Image(set, viaNvidia, image, ScalarType.Float32),
                    GoldenCases.Image(set, direct, image, ScalarType.Float32));
                double f64 = TensorDiff.MaxAbs(GoldenCases.Image(set, viaNvidia64, image, ScalarType.Float64),
                    GoldenCases.Image(set, direct64, image, ScalarType.Float64));
                double f64Matched = TensorDiff.MaxAbs(GoldenCases.Image(set, matched64, image, ScalarType.Float64),
                    GoldenCases.Image(set, direct64, image, ScalarType.Float64));
                output.WriteLine($"rosinality {name} via nvidia layout {image}: vs golden {vsGolden:E2}, vs direct f32 {vsDirect:E2}, f64 {f64:E2}, f64 with rosinality ε {f64Matched:E2}");
                Assert.True(vsGolden <= StyleGanGolden.ImageTolerance, $"{image}: {vsGolden:E3}");
                Assert.True(vsDirect <= StyleGanGolden.ImageTolerance, $"{image}: {vsDirect:E3}");
                Assert.True(f64 <= 2e-7, $"{image}: float64 across layouts {f64:E3}");
                Assert.True(f64Matched <= 1e-12, $"{image}: float64 with the ε placement matched {f64Matched:E3}");
                worstEps = Math.Max(worstEps, f64);
            }

            // The ε placement is visible in float64 (README: ~6e-8 on the tiny images).
            Assert.True(worstEps > 1e-10, $"the NVIDIA ε placement made no difference ({worstEps:E2})");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
