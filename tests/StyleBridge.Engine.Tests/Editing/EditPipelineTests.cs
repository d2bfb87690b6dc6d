using StyleBridge.Engine.Editing;
using StyleBridge.Engine.Tests.Generation;
using StyleBridge.Engine.Training;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Editing;
using StyleBridge.Models.StyleGan2;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Tests.Editing;

/// <summary>Inversion and the four edit methods on tiny random models: shapes, identities, refusals, determinism.</summary>
public sealed class EditPipelineTests : IDisposable
{
    private readonly TinyModels models = new();
    private readonly GlobalDirections directions;
    private readonly EditPipeline pipeline;

    public EditPipelineTests()
    {
        int conv = models.Generator.StyleSpace.TotalDimWithoutToRgb;
        using (var rng = new TorchSharp.torch.Generator(3))
        {
            var fs3 = randn(conv, 16, generator: rng);
            directions = new GlobalDirections(fs3.div(fs3.norm(1, true)), rand(conv, generator: rng).add(0.5));
        }
        pipeline = new EditPipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, models.Csla, directions, null);
    }

    public void Dispose()
    {
        pipeline.Dispose();
        directions.Dispose();
        models.Dispose();
    }

    private Tensor Images(int n, ulong seed = 1)
    {
        using var rng = new TorchSharp.torch.Generator(seed);
        return rand(n, 3, 16, 16, generator: rng).mul(2).sub(1);
    }

    [Fact]
    public void Inversion_gives_a_reconstruction_and_its_code()
    {
        using var scope = NewDisposeScope();
        using var result = pipeline.Invert(Images(3));
        Assert.Equal(new long[] { 3, 3, 16, 16 }, result.Images.shape);
        Assert.Equal(new long[] { 3, models.Generator.NLatent, 16 }, result.Code.WPlus.shape);
        Assert.Equal(models.Generator.StyleSpace.Count, result.Code.Styles.Length);
        using var again = pipeline.Invert(Images(3));
        Assert.True(again.Images.sub(result.Images).abs().max().item<float>() == 0, "inversion is deterministic");
    }

    [Fact]
    public void Refinement_lowers_the_pixel_error()
    {
        using var scope = NewDisposeScope();
        var target = Images(2, 9);
        using var plain = pipeline.Invert(target);
        using var refined = pipeline.Invert(target, refineSteps: 15, refineLearningRate: 0.05);
        double before = nn.functional.mse_loss(plain.Images, target).item<float>();
        double after = nn.functional.mse_loss(refined.Images, target).item<float>();
        Assert.True(after < before, $"pixel MSE {before:F4} → {after:F4}");
    }

    [Fact]
    public void Refinement_in_W_keeps_one_w_for_every_layer_and_lowers_the_pixel_error()
    {
        using var scope = NewDisposeScope();
        var target = Images(2, 9);
        using var plain = pipeline.Invert(target);
        using var inW = pipeline.Invert(target, refineSteps: 15, refineSpace: RefineSpace.W);
        using var inWPlus = pipeline.Invert(target, refineSteps: 15);
        var w = inW.Code.WPlus;
        Assert.True(w.sub(w[.., 0..1, ..]).abs().max().item<float>() == 0, "every W+ row is the one refined w");
        Assert.True(w.sub(plain.Code.WPlus).abs().max().item<float>() > 0, "the w moved");
        var wplus = inWPlus.Code.WPlus;
        Assert.True(wplus.sub(wplus[.., 0..1, ..]).abs().max().item<float>() > 0, "refinement in W+ moves the rows apart");
        using var styles = stack(inW.Code.Styles.Select((s, k) => s.sub(models.Generator.Styles(w)[k]).abs().max()).ToArray());
        Assert.True(styles.max().item<float>() == 0, "the styles are the refined w's own");
        double before = nn.functional.mse_loss(plain.Images, target).item<float>();
        double after = nn.functional.mse_loss(inW.Images, target).item<float>();
        Assert.True(after < before, $"pixel MSE {before:F4} → {after:F4}");
    }

    [Fact]
    public void Zero_strength_and_no_surviving_channel_leave_the_image_as_it_was()
    {
        using var scope = NewDisposeScope();
        using var source = pipeline.Invert(Images(2));
        using var csla = pipeline.Edit(source.Code, new EditRequest { Source = "a red shape", Target = "a blue shape", Method = EditMethod.Csla, Strength = 0 });
        Assert.True(csla.Images.sub(source.Images).abs().max().item<float>() < 1e-5);
        using var global = pipeline.Edit(source.Code, new EditRequest { Source = "a red shape", Target = "a blue shape", Method = EditMethod.Global, Disentanglement = 1.0 });
        Assert.Equal(0, global.ChannelsManipulated);
        Assert.True(global.Images.sub(source.Images).abs().max().item<float>() < 1e-5);
        using var moved = pipeline.Edit(source.Code, new EditRequest { Source = "a red shape", Target = "a blue shape", Method = EditMethod.Global, Disentanglement = 0.05, Strength = 5 });
        Assert.True(moved.ChannelsManipulated > 0);
        Assert.True(moved.Images.sub(source.Images).abs().max().item<float>() > 1e-3);
    }

    [Theory]
    [InlineData(EditMethod.Global)]
    [InlineData(EditMethod.Csla)]
    [InlineData(EditMethod.Optimize)]
    public void An_edit_from_a_first_layer_keeps_the_earlier_rows_and_their_styles(EditMethod method)
    {
        using var scope = NewDisposeScope();
        using var source = pipeline.Invert(Images(2));
        int first = models.Generator.NLatent - 2;
        var request = new EditRequest { Source = "a red shape", Target = "a blue shape", Method = method, Strength = 3, Disentanglement = 0.05, Steps = 3 };
        using var everywhere = pipeline.Edit(source.Code, request);
        using var late = pipeline.Edit(source.Code, request with { FirstLayer = first });
        var layers = models.Generator.StyleSpace.Layers;
        bool movedEarly = false;
        for (int k = 0; k < layers.Count; k++)
        {
            bool same = late.Code.Styles[k].eq(source.Code.Styles[k]).all().item<bool>();
            if (layers[k].WIndex < first)
                Assert.True(same, $"style layer {k} (w row {layers[k].WIndex}) moved before the first layer {first}");
            movedEarly |= layers[k].WIndex < first && !everywhere.Code.Styles[k].eq(source.Code.Styles[k]).all().item<bool>();
        }
        Assert.True(movedEarly, "without a first layer the edit moves early styles too");
        Assert.True(late.Code.WPlus.narrow(1, 0, first).eq(source.Code.WPlus.narrow(1, 0, first)).all().item<bool>(), "early W+ rows moved");
        if (method == EditMethod.Global)
            Assert.InRange(late.ChannelsManipulated, 1, everywhere.ChannelsManipulated - 1);
        Assert.True(Enumerable.Range(0, layers.Count).Any(k => layers[k].WIndex >= first && !late.Code.Styles[k].eq(source.Code.Styles[k]).all().item<bool>()),
            "the late layers did not move");
        Assert.Throws<ArgumentException>(() => pipeline.Edit(source.Code, request with { FirstLayer = models.Generator.NLatent }));
        Assert.Throws<ArgumentException>(() => (request with { FirstLayer = -1 }).Validate());
    }

    [Fact]
    public void Colour_layers_edit_from_the_colour_layer_the_generator_records_and_are_refused_where_it_records_none()
    {
        using var scope = NewDisposeScope();
        using var source = pipeline.Invert(Images(2));
        int colour = models.Generator.NLatent - 2;
        using var coloured = new EditPipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, models.Csla, directions, null) { ColourLayer = colour };
        var request = new EditRequest { Source = "a red shape", Target = "a blue shape", Method = EditMethod.Csla, Strength = 3 };

        using var byFlag = coloured.Edit(source.Code, request with { ColourLayers = true });
        using var byLayer = coloured.Edit(source.Code, request with { FirstLayer = colour });
        using var everywhere = coloured.Edit(source.Code, request);
        Assert.True(byFlag.Images.eq(byLayer.Images).all().item<bool>(), "colour_layers is not first_layer = the colour layer");
        Assert.False(byFlag.Images.eq(everywhere.Images).all().item<bool>());
        Assert.Equal(colour, coloured.Resolved(request with { ColourLayers = true }).FirstLayer);

        var none = Assert.Throws<ArgumentException>(() => pipeline.Edit(source.Code, request with { ColourLayers = true }));
        Assert.Contains("records no colour layer", none.Message);
        Assert.Throws<ArgumentException>(() => pipeline.CheckFirstLayer(request with { ColourLayers = true }));
        Assert.Throws<ArgumentException>(() => (request with { ColourLayers = true, FirstLayer = 1 }).Validate());
    }

    [Theory]
    [InlineData(CslaDirection.Residual)]
    [InlineData(CslaDirection.MappedDifference)]
    public void Csla_moves_w_by_the_direction_of_the_sentence_pair_it_is_asked_for(CslaDirection mode)
    {
        using var scope = NewDisposeScope();
        using var source = pipeline.Invert(Images(2));
        const double alpha = 0.7;
        using var edited = pipeline.Edit(source.Code, new EditRequest
        {
            Source = "a red shape", Target = "a blue shape", Method = EditMethod.Csla, Strength = alpha, CslaDirection = mode,
        });
        using var mode0 = no_grad();
        var csla = models.Csla;
        var f = csla.PrepareEmbedding(models.Clip.EncodeText(ClipTokenIds.FromTexts(TinyModels.Tokenizer.Value, ["a blue shape", "a red shape"])));
        var residual = csla.DeltaW(f[0].sub(f[1]).unsqueeze(0));
        var mapped = csla.DeltaW(f);
        var difference = mapped[0].sub(mapped[1]).unsqueeze(0);
        Assert.True(residual.sub(difference).abs().max().item<float>() > 1e-4, "the two directions differ for a nonlinear mapper");
        var expected = mode == CslaDirection.Residual ? residual : difference;
        var shift = edited.Code.WPlus.sub(source.Code.WPlus);
        Assert.True(shift.sub(expected.mul(alpha).unsqueeze(1)).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Csla_takes_its_files_edit_strength_when_a_request_names_none()
    {
        using var scope = NewDisposeScope();
        using var half = models.Csla.WithEditStrength(0.5);
        using var halfPipeline = new EditPipeline(models.Clip, TinyModels.Tokenizer.Value, models.Generator, half, directions, null);
        Assert.Equal(1.0, pipeline.DefaultStrength(EditMethod.Csla));
        Assert.Equal(0.5, halfPipeline.DefaultStrength(EditMethod.Csla));
        Assert.Equal(4.0, halfPipeline.DefaultStrength(EditMethod.Global));
        var request = new EditRequest { Source = "a red shape", Target = "a blue shape", Method = EditMethod.Csla };
        Assert.Equal(0.5, halfPipeline.StrengthOf(request));
        Assert.Equal(0.7, halfPipeline.StrengthOf(request with { Strength = 0.7 }));

        using var source = halfPipeline.Invert(Images(2));
        using var byDefault = halfPipeline.Edit(source.Code, request);
        using var named = pipeline.Edit(source.Code, request with { Strength = 0.5 });
        Assert.True(byDefault.Code.WPlus.sub(source.Code.WPlus).abs().max().item<float>() > 1e-4, "the default moves the latent");
        Assert.True(byDefault.Code.WPlus.sub(named.Code.WPlus).abs().max().item<float>() < 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => models.Csla.WithEditStrength(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => models.Csla.WithEditStrength(double.NaN));
    }

    [Fact]
    public void Optimisation_moves_the_latent_and_can_be_cancelled()
    {
        using var scope = NewDisposeScope();
        using var source = pipeline.Invert(Images(1));
        using var edited = pipeline.Edit(source.Code, new EditRequest { Source = "a shape", Target = "a large yellow circle", Method = EditMethod.Optimize, Steps = 3 });
        Assert.True(edited.Code.WPlus.sub(source.Code.WPlus).abs().max().item<float>() > 0);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Edit(source.Code,
            new EditRequest { Source = "a shape", Target = "a circle", Method = EditMethod.Optimize, Steps = 3 }, cancelled.Token));
    }

    [Theory]
    [InlineData(2, 3, 16, 15)]
    [InlineData(2, 1, 16, 16)]
    [InlineData(0, 3, 16, 16)]
    public void Images_of_the_wrong_shape_are_refused_before_any_model_runs(int n, int c, int h, int w)
    {
        Assert.Throws<ArgumentException>(() => pipeline.Invert(zeros(n, c, h, w)));
    }

    [Fact]
    public void Bad_edit_requests_are_refused()
    {
        using var source = pipeline.Invert(Images(1));
        Assert.Throws<ArgumentException>(() => pipeline.Edit(source.Code, new EditRequest { Source = "", Target = "a blue shape" }));
        Assert.Throws<ArgumentException>(() => pipeline.Edit(source.Code, new EditRequest { Source = "a", Target = "b", Strength = double.NaN }));
        Assert.Throws<ArgumentException>(() => pipeline.Edit(source.Code, new EditRequest { Source = "a", Target = "b", Method = EditMethod.DeltaEdit }));
    }

    [Fact]
    public void Directions_have_unit_rows_per_conv_channel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"directions-{Guid.NewGuid():N}.safetensors");
        try
        {
            DirectionBuilder.Build(models.Generator, models.Clip, new ClipImageTransform(16), path, samples: 2, statisticsSamples: 64, channelsPerBatch: 16);
            using var file = StyleBridge.Torch.Serialization.SafeTensors.Load(path);
            Assert.Equal(new long[] { models.Generator.StyleSpace.TotalDimWithoutToRgb, 16 }, file["fs3"].shape);
            Assert.True(file["fs3"].norm(1).sub(1).abs().max().item<float>() < 1e-4);
            Assert.True(file["sigma"].min().item<float>() >= 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DeltaEdit_trains_on_a_generator_with_equal_coarse_widths()
    {
        manual_seed(4);
        using var g = new Generator(new StyleGan2Config(16, 16, 2, new Dictionary<int, int> { [4] = 16, [8] = 16, [16] = 16 }) { MaxCpuBatch = null });
        g.Freeze();
        using var rng = new TorchSharp.torch.Generator(5);
        Tensor w, f;
        using (no_grad())
        {
            w = g.Map(randn(256, 16, generator: rng)).DetachFromDisposeScope();
            f = w.matmul(randn(16, 16, generator: rng)).DetachFromDisposeScope();
        }
        var config = DeltaEditTrainer.ConfigFor(g.StyleSpace, 16);
        Assert.Equal(g.StyleSpace.TotalDimWithoutToRgb, config.SDim);
        using var trainer = new DeltaEditTrainer(new DeltaEditTrainerOptions(Steps: 60, Batch: 32, Seed: 2), g, w, f);
        double first = Enumerable.Range(0, 5).Average(_ => trainer.Step());
        for (int i = 0; i < 40; i++)
            trainer.Step();
        double later = Enumerable.Range(0, 5).Average(_ => trainer.Step());
        Assert.True(later < first, $"DeltaEdit loss {first:F3} → {later:F3}");
    }
}
