using System.Text.Json;
using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>The configuration read off the shapes, and the S-space bookkeeping, against the golden configs.</summary>
public class ConfigAndStyleSpaceTests
{
    public static TheoryData<string> Sets() => StyleGanGolden.SetIds();

    private static string Kind(StyleLayerKind kind) => kind switch
    {
        StyleLayerKind.Conv => "conv",
        StyleLayerKind.ConvUp => "conv_up",
        _ => "torgb",
    };

    [Theory]
    [MemberData(nameof(Sets))]
    public void ConfigIsInferredFromShapes(string setId)
    {
        var set = StyleGanGolden.Set(setId);
        var json = StyleGanGolden.Config(set);
        var config = StyleGanGolden.Model(set).Config;

        JsonElement channels;
        if (json.TryGetProperty("constructor", out var ctor))
        {
            Assert.Equal(ctor.GetProperty("size").GetInt32(), config.Size);
            Assert.Equal(ctor.GetProperty("style_dim").GetInt32(), config.StyleDim);
            Assert.Equal(ctor.GetProperty("n_mlp").GetInt32(), config.NMlp);
            Assert.Equal(json.GetProperty("n_latent").GetInt32(), config.NLatent);
            Assert.Equal(json.GetProperty("num_noise_layers").GetInt32(), config.NumNoises);
            Assert.Equal(ctor.GetProperty("lr_mlp").GetDouble(), config.LrMlp);
            Assert.Equal(DemodulationEpsilon.Rosinality, config.DemodulationEpsilon);
            Assert.Null(config.ConvClamp);
            channels = json.GetProperty("channels_table_used");
        }
        else
        {
            var kwargs = json.GetProperty("init_kwargs");
            var resolved = json.GetProperty("resolved");
            Assert.Equal(kwargs.GetProperty("img_resolution").GetInt32(), config.Size);
            Assert.Equal(kwargs.GetProperty("w_dim").GetInt32(), config.StyleDim);
            Assert.Equal(kwargs.GetProperty("z_dim").GetInt32(), config.ZDim);
            Assert.Equal(kwargs.GetProperty("mapping_kwargs").GetProperty("num_layers").GetInt32(), config.NMlp);
            Assert.Equal(resolved.GetProperty("num_ws").GetInt32(), config.NLatent);
            Assert.Equal(resolved.GetProperty("conv_clamp").GetDouble(), config.ConvClamp);
            Assert.Equal(kwargs.GetProperty("num_fp16_res").GetInt32(), config.NumFp16Res);
            Assert.Equal(resolved.GetProperty("mapping_lr_multiplier").GetDouble(), config.LrMlp);
            Assert.Equal(DemodulationEpsilon.Nvidia, config.DemodulationEpsilon);
            var fp16 = resolved.GetProperty("fp16_blocks").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(fp16, config.Resolutions.Where(config.UsesFp16).ToArray());
            channels = resolved.GetProperty("channels");
        }

        foreach (int r in config.Resolutions)
            Assert.Equal(channels.GetProperty(r.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetInt32(), config.Channels[r]);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void StyleSpaceMatchesTheConfigAndTheIoFile(string setId)
    {
        var set = StyleGanGolden.Set(setId);
        var space = StyleGanGolden.Model(set).StyleSpace;
        bool nvidia = set.Folder == "nvidia";
        var expected = StyleGanGolden.Config(set).GetProperty("s_space").EnumerateArray().ToList();
        Assert.Equal(expected.Count, space.Count);
        foreach (var (e, layer) in expected.Zip(space.Layers))
        {
            Assert.Equal(e.GetProperty("index").GetInt32(), layer.Index);
            Assert.Equal(e.GetProperty("name").GetString(), nvidia ? layer.NvidiaName : layer.Name);
            Assert.Equal(e.GetProperty("module").GetString(), nvidia ? layer.NvidiaAffineModule : layer.ModulationModule);
            Assert.Equal(e.GetProperty("w_index").GetInt32(), layer.WIndex);
            Assert.Equal(e.GetProperty("kind").GetString(), Kind(layer.Kind));
            Assert.Equal(e.GetProperty("channels").GetInt32(), layer.Channels);
            if (e.TryGetProperty("styleclip_name", out var sc))
                Assert.Equal(sc.GetString(), layer.StyleClipName);
        }

        var ioLayers = JsonSerializer.Deserialize<string[]>(StyleGanGolden.Io(set).Metadata["s_layers"])!;
        Assert.Equal(ioLayers, space.Layers.Select(l => nvidia ? l.NvidiaName : l.Name).ToArray());
        var json = StyleGanGolden.Config(set);
        if (json.TryGetProperty("s_total_dim", out var total))
        {
            Assert.Equal(total.GetInt32(), space.TotalDim);
            Assert.Equal(json.GetProperty("s_total_dim_without_torgb").GetInt32(), space.TotalDimWithoutToRgb);
        }
    }

    [Fact]
    public void Ffhq1024StyleSpaceIsTheReferenceList()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(StyleGanGolden.Root, "sspace_ffhq1024.json")));
        var root = doc.RootElement;
        var space = new StyleSpace(StyleGan2Config.ConfigF(1024));
        Assert.Equal(root.GetProperty("num_layers").GetInt32(), space.Count);
        Assert.Equal(root.GetProperty("num_conv_layers").GetInt32(), space.ConvLayers.Count);
        Assert.Equal(root.GetProperty("total_dim_with_torgb").GetInt32(), space.TotalDim);
        Assert.Equal(root.GetProperty("total_dim_without_torgb").GetInt32(), space.TotalDimWithoutToRgb);
        Assert.Equal(root.GetProperty("n_latent_num_ws").GetInt32(), StyleGan2Config.ConfigF(1024).NLatent);
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(layers.Count, space.Count);
        foreach (var (e, layer) in layers.Zip(space.Layers))
        {
            Assert.Equal(e.GetProperty("index").GetInt32(), layer.Index);
            Assert.Equal(e.GetProperty("rosinality").GetString(), layer.Name);
            Assert.Equal(e.GetProperty("rosinality_module").GetString(), layer.ModulationModule);
            Assert.Equal(e.GetProperty("nvidia").GetString(), layer.NvidiaName);
            Assert.Equal(e.GetProperty("nvidia_module").GetString(), layer.NvidiaAffineModule);
            Assert.Equal(e.GetProperty("styleclip_name").GetString(), layer.StyleClipName);
            Assert.Equal(e.GetProperty("kind").GetString(), Kind(layer.Kind));
            Assert.Equal(e.GetProperty("resolution").GetInt32(), layer.Resolution);
            Assert.Equal(e.GetProperty("w_index").GetInt32(), layer.WIndex);
            Assert.Equal(e.GetProperty("channels").GetInt32(), layer.Channels);
            Assert.Equal(e.GetProperty("out_channels").GetInt32(), layer.OutChannels);
            Assert.Equal(e.GetProperty("offset_in_concat_with_torgb").GetInt32(), layer.OffsetWithToRgb);
            int? without = e.TryGetProperty("offset_in_concat_without_torgb", out var w) ? w.GetInt32() : null;
            Assert.Equal(without, layer.OffsetWithoutToRgb);
        }
    }

    [Fact]
    public void ConcatAndSplitRoundTripWithAndWithoutToRgb()
    {
        var set = StyleGanGolden.Sets.First(s => s.Folder == "rosinality");
        var g = StyleGanGolden.Model(set);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var styles = g.Styles(StyleGanGolden.Io(set)["wplus_rand"]);
        var flat = g.StyleSpace.Concat(styles);
        Assert.Equal(new long[] { 4, g.StyleSpace.TotalDim }, flat.shape);
        var back = g.StyleSpace.Split(flat);
        for (int i = 0; i < styles.Length; i++)
            Assert.True(back[i].Equal(styles[i]));

        var convOnly = g.StyleSpace.Concat(styles, includeToRgb: false);
        Assert.Equal(g.StyleSpace.TotalDimWithoutToRgb, convOnly.size(1));
        var convs = g.StyleSpace.Split(convOnly, includeToRgb: false);
        foreach (var (layer, s) in g.StyleSpace.ConvLayers.Zip(convs))
        {
            Assert.True(s.Equal(styles[layer.Index]));
            Assert.True(s.Equal(flat.narrow(1, layer.OffsetWithToRgb, layer.Channels)));
            Assert.True(s.Equal(convOnly.narrow(1, layer.OffsetWithoutToRgb!.Value, layer.Channels)));
        }

        Assert.Throws<ArgumentException>(() => g.StyleSpace.Split(convOnly));
    }

    [Fact]
    public void SynthesisFromUneditedStylesEqualsSynthesisFromWPlusExactly()
    {
        var set = StyleGanGolden.Sets.First(s => s.Folder == "rosinality");
        var g = StyleGanGolden.Model(set);
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var ws = StyleGanGolden.Io(set)["wplus_rand"];
        Assert.True(g.SynthesizeFromStyles(g.Styles(ws)).Equal(g.Synthesize(ws)));
        Assert.Throws<ArgumentException>(() => g.SynthesizeFromStyles(g.Styles(ws).Skip(1).ToArray()));
    }

    [Fact]
    public void ConfigFilesApplyRunTimeSettingsAndRejectArchitectureMismatches()
    {
        var rosinality = StyleGanGolden.Sets.First(s => s.Folder == "rosinality");
        var nvidia = StyleGanGolden.Sets.First(s => s.Folder == "nvidia" && s.Name == rosinality.Name);
        var config = StyleGanGolden.Model(rosinality).Config;

        var withNvidia = StyleGan2ConfigFile.Apply(config, File.ReadAllText(nvidia.ConfigPath));
        Assert.Equal(256, withNvidia.ConvClamp);
        Assert.Equal(4, withNvidia.NumFp16Res);
        Assert.Equal(config.Channels, withNvidia.Channels);

        var same = StyleGan2ConfigFile.Apply(config, File.ReadAllText(rosinality.ConfigPath));
        Assert.Equal(0.01, same.LrMlp);
        Assert.Null(same.ConvClamp);

        var own = StyleGan2ConfigFile.Apply(config, """{"truncation_cutoff": 4, "demodulation_epsilon": "nvidia", "modulated_conv_path": "fused", "conv_clamp": null}""");
        Assert.Equal(4, own.TruncationCutoff);
        Assert.Equal(DemodulationEpsilon.Nvidia, own.DemodulationEpsilon);
        Assert.Equal(ModulatedConvPath.Fused, own.ModulatedConvPath);
        Assert.Null(own.ConvClamp);

        Assert.Throws<ArgumentException>(() => StyleGan2ConfigFile.Apply(config, """{"constructor": {"size": 1024}}"""));
        Assert.Throws<ArgumentException>(() => StyleGan2ConfigFile.Apply(config, """{"init_kwargs": {"w_dim": 512}}"""));
        Assert.Throws<NotSupportedException>(() => StyleGan2ConfigFile.Apply(config, """{"c_dim": 10}"""));
        Assert.Throws<FormatException>(() => StyleGan2ConfigFile.Apply(config, """{"demodulation_epsilon": "tf"}"""));
    }
}
