using System.Text.Json;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Editing;

namespace StyleBridge.Models.Tests.Edit;

/// <summary>
/// Parity with StyleCLIP and DeltaEdit on every golden edit set, at the README's tolerances: the DeltaMapper and its
/// end-to-end edit, global directions (σ/μ, directions, edits, template averaging) and five steps of latent
/// optimisation with the pool path.
/// </summary>
[Trait("Category", "Golden")]
public sealed class EditGoldenParityTests
{
    public static TheoryData<string> DeltaMapperSets => EditGolden.SetsOf("deltamapper");
    public static TheoryData<string> GlobalDirectionSets => EditGolden.SetsOf("globaldir");
    public static TheoryData<string> LatentOptimizationSets => EditGolden.SetsOf("latentopt");

    private static void Close(Tensor actual, Tensor expected, double tolerance, string what) => TensorDiff.Close(actual, expected, tolerance, what);

    // ---- DeltaEdit ----

    [Theory]
    [MemberData(nameof(DeltaMapperSets))]
    public void DeltaMapper_matches_every_intermediate(string set)
    {
        var io = EditGolden.Io(set);
        using var mapper = DeltaMapper.FromFile(EditGolden.StatePath(set), (int)io["s"].shape[1]);
        var dims = JsonDocument.Parse(EditGolden.Metadata(set, "mapper_dims")).RootElement;
        Assert.Equal(dims.GetProperty("coarse_rows").GetInt32(), mapper.Config.CoarseRows);
        Assert.Equal(dims.GetProperty("medium_rows").GetInt32(), mapper.Config.MediumRows);
        Assert.Equal(dims.GetProperty("fine_width").GetInt32(), mapper.Config.FineWidth);
        Assert.Equal(dims.GetProperty("cond_dim").GetInt32(), mapper.Config.CondDim);

        using var scope = NewDisposeScope();
        var s = io["s"];
        var cond = io["cond"];
        var c = mapper.Config;
        long b = s.shape[0];
        var parts = s.split([c.CoarseSize, c.MediumSize, c.FineWidth], 1);
        var coarseIn = parts[0].reshape(b, c.CoarseRows, c.CoarseWidth);
        var mediumIn = parts[1].reshape(b, c.MediumRows, c.MediumWidth);
        Close(((StyleBridge.Models.StyleGan2.PixelNorm)mapper.SmCoarse.Mapping[0]).Forward(coarseIn), io["sm_coarse_pixelnorm"], 1e-5, "sm_coarse PixelNorm (across rows)");
        Close(((StyleBridge.Models.StyleGan2.PixelNorm)mapper.SmMedium.Mapping[0]).Forward(mediumIn), io["sm_medium_pixelnorm"], 1e-5, "sm_medium PixelNorm");
        Close(((StyleBridge.Models.StyleGan2.PixelNorm)mapper.SmFine.Mapping[0]).Forward(parts[2]), io["sm_fine_pixelnorm"], 1e-5, "sm_fine PixelNorm");
        Close(((StyleBridge.Models.StyleGan2.PixelNorm)mapper.CmCoarse.Mapping[0]).Forward(cond), io["cm_pixelnorm"], 1e-5, "cm PixelNorm");
        Close(mapper.SmCoarse.Forward(coarseIn), io["sm_coarse_out"], 1e-4, "sm_coarse");
        Close(mapper.SmMedium.Forward(mediumIn), io["sm_medium_out"], 1e-4, "sm_medium");
        Close(mapper.SmFine.Forward(parts[2]), io["sm_fine_out"], 1e-4, "sm_fine");
        Close(mapper.CmCoarse.Forward(cond), io["cm_coarse_out"], 1e-4, "cm_coarse");
        Close(mapper.CmMedium.Forward(cond), io["cm_medium_out"], 1e-4, "cm_medium");
        Close(mapper.CmFine.Forward(cond), io["cm_fine_out"], 1e-4, "cm_fine");
        Close(mapper.FmCoarse.Forward(io["fm_coarse_in"]).reshape(b, -1), io["delta_coarse"], 1e-4, "fm_coarse");
        Close(mapper.FmMedium.Forward(io["fm_medium_in"]).reshape(b, -1), io["delta_medium"], 1e-4, "fm_medium");
        Close(mapper.FmFine.Forward(io["fm_fine_in"]), io["delta_fine"], 1e-4, "fm_fine");
        var delta = mapper.Forward(s, cond);
        Close(delta, io["delta"], 1e-4, "delta");

        // the training pair's condition and loss
        Close(DeltaEditing.TrainingCondition(io["c_i"], io["c_j"]), cond, 1e-6, "training condition");
        Close(DeltaMapper.Loss(delta, io["train.ds_target"]), io["train.loss"], 1e-5, "training loss");
    }

    [Theory]
    [MemberData(nameof(DeltaMapperSets))]
    public void DeltaMapper_in_float64_matches_the_float64_reference(string set)
    {
        var io = EditGolden.Io(set);
        using var mapper = DeltaMapper.FromFile(EditGolden.StatePath(set), (int)io["s"].shape[1]);
        mapper.to(ScalarType.Float64);
        using var scope = NewDisposeScope();
        Close(mapper.Forward(io["s"].to(ScalarType.Float64), io["cond"].to(ScalarType.Float64)), io["delta_f64"], 1e-9, "delta (float64)");
    }

    [Theory]
    [MemberData(nameof(DeltaMapperSets))]
    public void DeltaEdit_end_to_end_text_edit_matches(string set)
    {
        var io = EditGolden.Io(set);
        double threshold = double.Parse(EditGolden.Metadata(set, "e2e_threshold"), System.Globalization.CultureInfo.InvariantCulture);
        double strength = double.Parse(EditGolden.Metadata(set, "e2e_strength"), System.Globalization.CultureInfo.InvariantCulture);
        using var g = EditGolden.Generator(set);
        using var clip = EditGolden.Clip(set);
        using var mapper = DeltaMapper.FromFile(EditGolden.StatePath(set), g.StyleSpace.TotalDimWithoutToRgb);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var wplus = io["e2e.wplus"];
        var s = ConvStyles.Of(g, wplus);
        Close(s, io["e2e.s"], 1e-5, "S of w+");
        Close(ConvStyles.Render(g, s, wplus), io["e2e.img_src"], 5e-5, "source render (S path)");
        var clipInput = ClipImageTransform.StyleClip(clip.Config.ImageResolution).Apply(io["e2e.img_src"]);
        Close(clipInput, io["e2e.clip_input"], 1e-6, "pool path");
        var cRaw = clip.EncodeImage(clipInput);
        Close(cRaw, io["e2e.c_raw"], 1e-4, "CLIP image features");

        var dtRaw = io["e2e.t_target"].sub(io["e2e.t_neutral"]);
        Close(dtRaw, io["e2e.dt_raw"], 1e-7, "dt_raw");
        Close(io["e2e.fs3"].matmul(dtRaw), io["e2e.r"], 1e-6, "relevance");
        using var edit = DeltaEditing.Edit(mapper, io["e2e.fs3"], io["e2e.s"], io["e2e.c_raw"], dtRaw, threshold, strength);
        Assert.Equal(io["e2e.mask"].to(ScalarType.Bool).data<bool>().ToArray(), edit.Mask.data<bool>().ToArray());
        Close(edit.Delta, io["e2e.delta"], 1e-4, "ΔS");
        Close(edit.MaskedDelta, io["e2e.delta_masked"], 1e-4, "masked ΔS");
        Close(edit.EditedStyles, io["e2e.s_edit"], 1e-4, "edited S");
        Close(ConvStyles.Render(g, io["e2e.s_edit"], wplus), io["e2e.img_edit"], 1e-4, "edited render");
    }

    // ---- StyleCLIP global directions ----

    [Theory]
    [MemberData(nameof(GlobalDirectionSets))]
    public void Global_direction_statistics_sources_and_edits_match(string set)
    {
        var io = EditGolden.Io(set);
        using var g = EditGolden.Generator(set);
        using var scope = NewDisposeScope();
        using var mode = no_grad();

        var (sigma, mu) = GlobalDirections.Statistics(g, io["sigma_z"], io["latent_avg"]);
        Close(sigma, io["sigma"], 1e-5, "σ");
        Close(mu, io["mu"], 1e-5, "μ");
        var srcW = io["src_w"];
        Close(ConvStyles.Of(g, srcW), io["src_s"], 1e-5, "source S");
        Close(ConvStyles.Render(g, io["src_s"], srcW), io["src_img"], 5e-5, "source image");

        using var directions = new GlobalDirections(io["fs3"], io["sigma"]);
        foreach (int d in new[] { 0, 1 })
            Close(directions.Relevance(io[$"dir{d}.dt"]), io[$"dir{d}.r"], 1e-6, $"dir{d} relevance");

        var space = g.StyleSpace;
        int casesChecked = 0;
        foreach (var c in JsonDocument.Parse(EditGolden.Metadata(set, "cases")).RootElement.EnumerateArray())
        {
            int k = c.GetProperty("case").GetInt32();
            using var direction = directions.Direction(io[$"dir{c.GetProperty("direction").GetInt32()}.dt"], c.GetProperty("beta").GetDouble());
            double alpha = c.GetProperty("alpha").GetDouble();
            Assert.Equal(io[$"case{k}.keep"].to(ScalarType.Bool).data<bool>().ToArray(), direction.Keep.data<bool>().ToArray());
            Assert.Equal(c.GetProperty("channels_manipulated").GetInt32(), direction.Channels);
            Close(direction.Direction, io[$"case{k}.direction"], 1e-6, $"case {k} direction");
            Close(direction.Boundary, io[$"case{k}.boundary"], 1e-5, $"case {k} boundary");
            var ds = direction.Delta(alpha);
            Close(ds, io[$"case{k}.ds"], 1e-5, $"case {k} Δs");
            // StyleCLIP's all-layer list: the conv Δs in place, zeros for the ToRGB layers
            var all = space.Concat([.. space.Layers.Select(l => l.IsToRgb ? zeros(1, l.Channels) : ds.narrow(0, l.OffsetWithoutToRgb!.Value, l.Channels).unsqueeze(0))]);
            Close(all.squeeze(0), io[$"case{k}.ds_all_layers"], 1e-5, $"case {k} Δs over all layers");
            var sEdit = io["src_s"].add(ds);
            Close(sEdit, io[$"case{k}.s_edit"], 1e-5, $"case {k} edited S");
            Close(ConvStyles.Render(g, sEdit, srcW), io[$"case{k}.img"], 5e-5, $"case {k} image");
            casesChecked++;
        }
        Assert.True(casesChecked > 0);
    }

    [Theory]
    [MemberData(nameof(GlobalDirectionSets))]
    public void Global_direction_statistics_in_float64_match(string set)
    {
        var io = EditGolden.Io(set);
        using var g = EditGolden.Generator(set, ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var (sigma, mu) = GlobalDirections.Statistics(g, io["sigma_z"].to(ScalarType.Float64), io["latent_avg"].to(ScalarType.Float64));
        // Statistics keeps float32; compare at the float32 rounding of the float64 pipeline
        Close(sigma, io["sigma_f64"], 1e-6, "σ (float64 pipeline)");
        Close(mu, io["mu_f64"], 1e-6, "μ (float64 pipeline)");
    }

    [Theory]
    [MemberData(nameof(GlobalDirectionSets))]
    public void Template_averaged_text_directions_match(string set)
    {
        var io = EditGolden.Io(set);
        var zeroshot = EditGolden.Config(set).GetProperty("zeroshot");
        string target = zeroshot.GetProperty("target").GetString()!, neutral = zeroshot.GetProperty("neutral").GetString()!;
        var tokenizer = EditGolden.Tokenizer();
        using var clip = EditGolden.Clip(set);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        Assert.Equal(79, PromptTemplates.Templates.Count);
        var ids = ClipTokenIds.FromTexts(tokenizer, [.. PromptTemplates.Fill(target), .. PromptTemplates.Fill(neutral)]);
        Assert.Equal(io["zs.text_ids"].data<long>().ToArray(), ids.data<long>().ToArray());
        Close(clip.EncodeText(ids), io["zs.text_features"], 1e-4, "template text features");
        var t = PromptTemplates.Average(clip, tokenizer, [target, neutral]);
        Close(t, io["zs.t"], 1e-5, "t(target), t(neutral)");
        var dtRaw = t[0].sub(t[1]);
        Close(dtRaw, io["zs.dt_raw"], 1e-5, "dt_raw");
        Close(dtRaw.div(dtRaw.norm()), io["zs.dt"], 1e-4, "dt");
    }

    // ---- StyleCLIP latent optimisation ----

    [Theory]
    [MemberData(nameof(LatentOptimizationSets))]
    public void Latent_optimisation_matches_step_by_step(string set)
    {
        var io = EditGolden.Io(set);
        int steps = int.Parse(EditGolden.Metadata(set, "steps"), System.Globalization.CultureInfo.InvariantCulture);
        double lr = double.Parse(EditGolden.Metadata(set, "lr"), System.Globalization.CultureInfo.InvariantCulture);
        double lambda = double.Parse(EditGolden.Metadata(set, "l2_lambda"), System.Globalization.CultureInfo.InvariantCulture);
        string text = EditGolden.Metadata(set, "description");
        double psi = EditGolden.Config(set).GetProperty("truncation").GetDouble();
        using var g = EditGolden.Generator(set);
        using var clip = EditGolden.Clip(set);
        var tokenizer = EditGolden.Tokenizer();
        using var scope = NewDisposeScope();

        var schedule = Enumerable.Range(0, steps).Select(i => LatentOptimizer.LearningRate(i, steps, lr)).ToArray();
        var expectedLr = io["lr"].to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < steps; i++)
            Assert.True(Math.Abs(schedule[i] - expectedLr[i]) <= 1e-7, $"lr[{i}] {schedule[i]} vs {expectedLr[i]}");

        Tensor start, textFeatures;
        using (no_grad())
        {
            start = g.Truncate(g.Broadcast(g.Map(io["z_init"])), psi, io["mean_latent"]);
            Close(start, io["latent_init"], 1e-5, "start latent");
            Close(g.Synthesize(start), io["img_init"], 5e-5, "start image");
            var ids = ClipTokenIds.FromTexts(tokenizer, [text]);
            Assert.Equal(io["text_ids"].data<long>().ToArray(), ids.data<long>().ToArray());
            textFeatures = clip.EncodeText(ids);
        }

        var records = new List<(LatentOptimizationStep Step, Tensor Grad, Tensor Latent)>();
        var final = LatentOptimizer.Run(g, clip, textFeatures, io["latent_init"], new LatentOptimizationOptions(steps, lr, lambda),
            observe: (step, grad, latent) => records.Add((step, grad.clone().DetachFromDisposeScope(), latent.detach().clone().DetachFromDisposeScope())));
        Assert.Equal(steps, records.Count);
        var losses = io["loss"].to(ScalarType.Float64).data<double>().ToArray();
        var clipLosses = io["clip_loss"].to(ScalarType.Float64).data<double>().ToArray();
        var l2 = io["l2_loss"].to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < steps; i++)
        {
            Assert.True(Math.Abs(records[i].Step.Loss - losses[i]) <= 1e-5, $"loss[{i}] {records[i].Step.Loss} vs {losses[i]}");
            Assert.True(Math.Abs(records[i].Step.ClipLoss - clipLosses[i]) <= 1e-5, $"clip_loss[{i}]");
            Assert.True(Math.Abs(records[i].Step.L2Loss - l2[i]) <= 1e-4, $"l2_loss[{i}]");
            Close(records[i].Grad, io["grads"][i], 2e-6, $"gradient at step {i}");
            Close(records[i].Latent, io["latents"][i], 1e-4, $"latent after step {i}");
        }
        using (no_grad())
            Close(g.Synthesize(final), io["img_after_last_step"], 5e-5, "final image");
    }

    [Theory]
    [MemberData(nameof(LatentOptimizationSets))]
    public void The_pool_path_matches_at_every_ratio(string set)
    {
        var io = EditGolden.Io(set);
        using var scope = NewDisposeScope();
        int checkedCases = 0;
        foreach (var c in JsonDocument.Parse(EditGolden.Metadata(set, "pool_cases")).RootElement.EnumerateArray())
        {
            int k = c.GetProperty("case").GetInt32();
            var transform = ClipImageTransform.StyleClip(c.GetProperty("n_out").GetInt32());
            Close(transform.Apply(io[$"pool.case{k}.in"]), io[$"pool.case{k}.out"], 2e-5, $"pool case {k}");
            Close(transform.Apply(io[$"pool.case{k}.in"].to(ScalarType.Float64)), io[$"pool.case{k}.out_f64"], 1e-9, $"pool case {k} (float64)");
            checkedCases++;
        }
        Assert.True(checkedCases > 0);
    }
}
