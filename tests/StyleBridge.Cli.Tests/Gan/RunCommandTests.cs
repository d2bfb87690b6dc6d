using System.Globalization;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests.Gan;

/// <summary><c>stylebridge gan run</c> on every golden StyleGAN2 set, for z, W+ and S inputs.</summary>
public sealed class RunCommandTests
{
    public static TheoryData<string> SetIds()
    {
        var data = new TheoryData<string>();
        foreach (var set in StyleGanGolden.Sets())
            data.Add(set.Id);
        return data;
    }

    /// <summary>(set, truncated image) for every golden image made with ψ ≠ 1.</summary>
    public static TheoryData<string, string> TruncatedImages()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in StyleGanGolden.Sets())
            foreach (string name in StyleGanGolden.IoNames(set).Where(n => StyleGanGolden.PsiFromName(n) is { } psi && psi != 1).Order(StringComparer.Ordinal))
                data.Add(set.Id, name);
        return data;
    }

    /// <summary>(set, W+ input) for every <c>wplus_*</c> input with its <c>img_wplus_*</c> image.</summary>
    public static TheoryData<string, string> WPlusInputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in StyleGanGolden.Sets())
        {
            var names = StyleGanGolden.IoNames(set).ToHashSet();
            foreach (string name in names.Where(n => n.StartsWith("wplus_", StringComparison.Ordinal) && names.Contains("img_" + n)).Order(StringComparer.Ordinal))
                data.Add(set.Id, name);
        }

        return data;
    }

    /// <summary>(set, S prefix, image): <c>s_w</c> → <c>img_w</c>, <c>s_ws_psi1</c> → <c>img_psi1</c>, <c>s_wplus_rand</c> → <c>img_wplus_rand</c>.</summary>
    public static TheoryData<string, string, string> StyleInputs()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var set in StyleGanGolden.Sets())
        {
            var names = StyleGanGolden.IoNames(set).ToHashSet();
            var prefixes = names.Where(n => n.StartsWith("s_", StringComparison.Ordinal) && n.Contains('.'))
                .Select(n => n[..n.IndexOf('.')]).Where(p => !p.EndsWith("_f64", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal);
            foreach (string prefix in prefixes)
            {
                string latent = prefix[2..];
                string? image = new[] { "img_" + latent, latent.StartsWith("ws_", StringComparison.Ordinal) ? "img_" + latent[3..] : "" }
                    .FirstOrDefault(names.Contains);
                if (image is not null)
                    data.Add(set.Id, prefix, image);
            }
        }

        return data;
    }

    /// <summary>Sets with an S edit: <c>ds.&lt;layer&gt;</c> added to <c>s_w</c> gives <c>img_s_edit</c>.</summary>
    public static TheoryData<string> EditSets()
    {
        var data = new TheoryData<string>();
        foreach (var set in StyleGanGolden.Sets())
        {
            var names = StyleGanGolden.IoNames(set);
            if (names.Contains("img_s_edit") && names.Any(n => n.StartsWith("ds.", StringComparison.Ordinal)))
                data.Add(set.Id);
        }

        return data;
    }

    [Fact]
    public void Both_layouts_and_all_input_kinds_are_covered()
    {
        var folders = StyleGanGolden.Sets().Select(s => s.Folder).ToHashSet();
        Assert.Contains("rosinality", folders);
        Assert.Contains("nvidia", folders);
        Assert.NotEmpty(TruncatedImages());
        Assert.NotEmpty(WPlusInputs());
        Assert.NotEmpty(StyleInputs());
        Assert.NotEmpty(EditSets());
    }

    [Theory]
    [MemberData(nameof(SetIds))]
    public void Z_input_gives_the_golden_w_ws_and_image(string id)
    {
        var set = StyleGanGolden.Set(id);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var temp = new TempDirectory();
        using var output = RunGan(set, set.StatePath, temp, [("z", io["z"])]);

        var w = ExpectedW(io);
        TensorDiff.Close(output["w"], w, StyleGanGolden.VectorTolerance, $"{id} w");
        var ws = io.TryGetValue("ws_psi1", out var wsPsi1) ? wsPsi1 : Broadcast(w, NumWs(io));
        TensorDiff.Close(output["ws"], ws, StyleGanGolden.VectorTolerance, $"{id} ws");
        var image = io.TryGetValue("img_w", out var imgW) ? imgW : io["img_psi1"];
        TensorDiff.Close(output["images"], image, StyleGanGolden.ImageTolerance, $"{id} image");
    }

    [Theory]
    [MemberData(nameof(TruncatedImages))]
    public void Truncated_z_input_gives_the_golden_image(string id, string image)
    {
        var set = StyleGanGolden.Set(id);
        double psi = StyleGanGolden.PsiFromName(image)!.Value;
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var temp = new TempDirectory();
        using var output = RunGan(set, WeightsWithAverageLatent(set, io, temp), temp, [("z", io["z"])],
            "--truncation", psi.ToString("R", CultureInfo.InvariantCulture));

        TensorDiff.Close(output["w"], ExpectedW(io), StyleGanGolden.VectorTolerance, $"{id} w (before truncation)");
        if (io.TryGetValue("ws_" + image["img_".Length..], out var ws))
            TensorDiff.Close(output["ws"], ws, StyleGanGolden.VectorTolerance, $"{id} ws ψ={psi}");
        TensorDiff.Close(output["images"], io[image], StyleGanGolden.ImageTolerance, $"{id} {image}");
    }

    [Theory]
    [MemberData(nameof(WPlusInputs))]
    public void WPlus_input_gives_the_golden_image(string id, string input)
    {
        var set = StyleGanGolden.Set(id);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var temp = new TempDirectory();
        using var output = RunGan(set, set.StatePath, temp, [("ws", io[input])]);

        Assert.Equal(["images"], output.Keys);
        TensorDiff.Close(output["images"], io["img_" + input], StyleGanGolden.ImageTolerance, $"{id} img_{input}");
    }

    [Theory]
    [MemberData(nameof(StyleInputs))]
    public void Style_input_gives_the_golden_image(string id, string prefix, string image)
    {
        var set = StyleGanGolden.Set(id);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var temp = new TempDirectory();
        var styles = io.Where(kv => kv.Key.StartsWith(prefix + ".", StringComparison.Ordinal))
            .Select(kv => ("styles." + kv.Key[(prefix.Length + 1)..], kv.Value)).ToArray();
        using var output = RunGan(set, set.StatePath, temp, styles);

        TensorDiff.Close(output["images"], io[image], StyleGanGolden.ImageTolerance, $"{id} {prefix} → {image}");
    }

    [Theory]
    [MemberData(nameof(EditSets))]
    public void Edited_styles_give_the_golden_edit_image(string id)
    {
        var set = StyleGanGolden.Set(id);
        using var scope = NewDisposeScope();
        using var io = SafeTensors.Load(set.IoPath);
        using var temp = new TempDirectory();
        var styles = new List<(string, Tensor)>();
        int edited = 0;
        foreach (var (name, s) in io.Where(kv => kv.Key.StartsWith("s_w.", StringComparison.Ordinal)))
        {
            string layer = name["s_w.".Length..];
            bool edit = io.TryGetValue("ds." + layer, out var delta);
            edited += edit ? 1 : 0;
            styles.Add(("styles." + layer, edit ? s.add(delta!) : s));
        }

        Assert.Equal(io.Keys.Count(k => k.StartsWith("ds.", StringComparison.Ordinal)), edited);
        using var output = RunGan(set, set.StatePath, temp, styles);
        TensorDiff.Close(output["images"], io["img_s_edit"], StyleGanGolden.ImageTolerance, $"{id} img_s_edit");
    }

    /// <summary>
    /// <c>gan run</c> with the set's config and constant noise on a safetensors of <paramref name="inputs"/>; the
    /// written output, loaded.
    /// </summary>
    private static StateDict RunGan(GoldenModelSet set, string weights, TempDirectory temp, IEnumerable<(string Name, Tensor Value)> inputs, params string[] extra)
    {
        string inPath = temp.File("in.safetensors");
        string outPath = temp.File("out.safetensors");
        SafeTensors.Save(inPath, inputs.Select(i => new KeyValuePair<string, Tensor>(i.Name, i.Value)));
        var result = Cli.Succeed([
            "gan", "run", "--weights", weights, "--config", set.ConfigPath, "--inputs", inPath, "--out", outPath,
            "--noise", "const", .. extra,
        ]);
        Assert.Contains(outPath, result.Output);
        return SafeTensors.Load(outPath);
    }

    /// <summary>
    /// Weights whose average latent is the one the golden truncation used: the set's own file where its layout
    /// stores it (NVIDIA <c>w_avg</c>, rosinality <c>_ckpt.pt</c> latent_avg = mean_latent[0]); otherwise the state
    /// plus <c>latent_avg</c> = the golden <c>mean_latent</c>, written to a temporary safetensors.
    /// </summary>
    private static string WeightsWithAverageLatent(GoldenModelSet set, StateDict io, TempDirectory temp)
    {
        if (!io.TryGetValue("mean_latent", out var meanLatent))
            return set.StatePath;
        if (File.Exists(set.CheckpointPath))
            return set.CheckpointPath;
        string path = temp.File("weights_with_latent_avg.safetensors");
        using var state = SafeTensors.Load(set.StatePath);
        SafeTensors.Save(path, state.Append(new KeyValuePair<string, Tensor>("latent_avg", meanLatent.select(0, 0))), state.Metadata);
        return path;
    }

    /// <summary>The mapped w of the golden z: rosinality's <c>w</c>, or any layer of NVIDIA's untruncated <c>ws_psi1</c>.</summary>
    private static Tensor ExpectedW(StateDict io) => io.TryGetValue("w", out var w) ? w : io["ws_psi1"].select(1, 0);

    private static int NumWs(StateDict io) =>
        int.Parse(io.Metadata.TryGetValue("n_latent", out string? n) ? n : io.Metadata["num_ws"], CultureInfo.InvariantCulture);

    private static Tensor Broadcast(Tensor w, int layers) => w.reshape(w.shape[0], 1, w.shape[1]).expand(w.shape[0], layers, w.shape[1]);
}
