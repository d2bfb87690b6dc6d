using StyleBridge.Models.Clip;
using StyleBridge.Models.Prior;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests.Prior;

/// <summary>
/// Parity with the reference clip2latent prior (DALLE2-pytorch 0.2.38) on every golden set under <c>prior/</c>, at
/// the tolerances of the set's README: forward passes, the schedules, every sampling run and the re-ranking case.
/// </summary>
[Trait("Category", "Golden")]
public sealed class PriorGoldenParityTests
{
    public static TheoryData<string> Sets => PriorGolden.SetIds();
    public static TheoryData<string, string> Runs => PriorGolden.RunCases();

    [Theory]
    [MemberData(nameof(Sets))]
    public void Configuration_is_inferred_from_the_shapes(string set)
    {
        var golden = PriorGolden.Set(set);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(golden.ConfigPath));
        var network = config.RootElement.GetProperty("constructor_arguments").GetProperty("DiffusionPriorNetwork");
        var inferred = PriorGolden.Prior(golden).Config;
        Assert.Equal(network.GetProperty("dim").GetInt32(), inferred.Dim);
        Assert.Equal(network.GetProperty("depth").GetInt32(), inferred.Depth);
        Assert.Equal(network.GetProperty("heads").GetInt32(), inferred.Heads);
        Assert.Equal(network.GetProperty("dim_head").GetInt32(), inferred.DimHead);
        Assert.Equal(network.GetProperty("num_timesteps").GetInt32(), inferred.NumTimesteps);
        long trainable = config.RootElement.GetProperty("derived").GetProperty("trainable_parameters_net").GetInt64();
        Assert.Equal(trainable, PriorGolden.Prior(golden).Net.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_trainer_checkpoint_loads_its_ema_copy_and_nothing_else(string set)
    {
        var golden = PriorGolden.Set(set);
        using var fromCheckpoint = LatentPrior.FromFile(golden.CheckpointPath, PriorGolden.LatentRepeats(golden));
        var fromState = PriorGolden.Prior(golden);
        var expected = fromState.state_dict();
        foreach (var (name, tensor) in fromCheckpoint.state_dict())
            Assert.True(tensor.shape.SequenceEqual(expected[name].shape) && tensor.eq(expected[name]).all().item<bool>(), $"{name} differs between {golden.Name}_ckpt.pt and the EMA state");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Forward_passes_match_conditional_null_and_guided(string set)
    {
        var golden = PriorGolden.Set(set);
        var io = PriorGolden.Io(golden);
        var prior = PriorGolden.Prior(golden);
        using var scope = NewDisposeScope();
        var x = io["fwd.x_t"];
        var t = io["fwd.t"];
        var embed = io["fwd.embed"];
        long b = x.shape[0];
        var transformer = prior.Net.CausalTransformer;

        long n = io["fwd.rel_pos_bucket"].shape[0];
        Assert.True(transformer.RelPosBias.Buckets(n, n + 1).eq(io["fwd.rel_pos_bucket"]).all().item<bool>(), "relative-position buckets");
        TensorDiff.Close(transformer.RelPosBias.Forward(n, n + 1), io["fwd.attn_bias"], 1e-7, "attention bias");
        TensorDiff.Close(transformer.Layers[0].Attention.RotaryEmb.Angles(n), io["fwd.rotary_angles"], 1e-6, "rotary angles");

        foreach (var (kind, keep) in new[] { ("cond", true), ("null", false) })
        {
            var keepMask = full(b, keep, dtype: ScalarType.Bool);
            var tokens = prior.Net.Tokens(x, t, embed);
            TensorDiff.Close(tokens, io[$"fwd.{kind}.tokens"], 0, $"{kind} tokens");
            var hidden = new List<Tensor>();
            var final = transformer.Forward(tokens, keepMask, hidden);
            TensorDiff.Close(stack(hidden), io[$"fwd.{kind}.hidden"], 2e-5, $"{kind} hidden states");
            TensorDiff.Close(final, io[$"fwd.{kind}.final"], 1e-5, $"{kind} final sequence");
            TensorDiff.Close(prior.Net.Forward(x, t, embed, keepMask), io[$"fwd.{kind}.out"], 1e-5, $"{kind} output");
        }

        // the null prediction does not depend on the condition's value
        var nullOut = prior.Net.Forward(x, t, zeros_like(embed), zeros(b, dtype: ScalarType.Bool));
        TensorDiff.Close(nullOut, io["fwd.null.out"], 1e-6, "null output with a zero condition");

        double scale = io["fwd.guided.cond_scale"].item<double>();
        TensorDiff.Close(prior.GuidedPrediction(x, t, embed, scale), io["fwd.guided.out"], 1e-5, "guided output");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Forward_passes_in_float64_match_the_float64_reference(string set)
    {
        var golden = PriorGolden.Set(set);
        var io = PriorGolden.Io(golden);
        using var prior = LatentPrior.FromFile(golden.StatePath, PriorGolden.LatentRepeats(golden));
        prior.to(ScalarType.Float64);
        using var scope = NewDisposeScope();
        var x = io["fwd.x_t"].to(ScalarType.Float64);
        var embed = io["fwd.embed"].to(ScalarType.Float64);
        var t = io["fwd.t"];
        long b = x.shape[0];
        TensorDiff.Close(prior.Net.Forward(x, t, embed, ones(b, dtype: ScalarType.Bool)), io["fwd.cond.out_f64"], 1e-9, "cond output (float64)");
        TensorDiff.Close(prior.Net.Forward(x, t, embed, zeros(b, dtype: ScalarType.Bool)), io["fwd.null.out_f64"], 1e-9, "null output (float64)");
        TensorDiff.Close(prior.GuidedPrediction(x, t, embed, io["fwd.guided.cond_scale"].item<double>()), io["fwd.guided.out_f64"], 1e-9, "guided output (float64)");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Schedules_match_full_and_respaced(string set)
    {
        var golden = PriorGolden.Set(set);
        var io = PriorGolden.Io(golden);
        var prior = PriorGolden.Prior(golden);
        var computed = NoiseSchedule.Cosine(prior.Config.NumTimesteps);
        try
        {
            foreach (string name in NoiseSchedule.BufferNames)
            {
                var expected = io["sched.full." + name];
                // exact, or one float32 ulp relative
                double diff = computed[name].to(ScalarType.Float64).sub(expected.to(ScalarType.Float64)).abs()
                    .sub(expected.to(ScalarType.Float64).abs().mul(2.4e-7)).max().item<double>();
                Assert.True(diff <= 0, $"sched.full.{name}: beyond one ulp by {diff:G3}");
            }
        }
        finally
        {
            foreach (var t in computed.Values)
                t.Dispose();
        }

        int checkedSkips = 0;
        foreach (int skip in PriorGolden.ScheduleSkips(golden))
        {
            var r = prior.Respaced(skip);
            string p = $"sched.skip{skip}.";
            Assert.Equal(io[p + "t"].data<long>().ToArray(), r.Timesteps);
            Assert.Equal(io[p + "betas_respaced"].data<float>().ToArray(), r.Betas);
            Assert.Equal(io[p + "alphas_cumprod_respaced"].data<float>().ToArray(), r.AlphasCumprod);
            Assert.Equal(io[p + "coef1"].data<float>().ToArray(), r.Coef1);
            Assert.Equal(io[p + "coef2"].data<float>().ToArray(), r.Coef2);
            Assert.Equal(io[p + "posterior_variance"].data<float>().ToArray(), r.PosteriorVariance);
            var sigma = io[p + "sigma_used"].data<float>().ToArray();
            for (int k = 0; k < sigma.Length; k++)
                Assert.True(Math.Abs(sigma[k] - r.Sigma[k]) <= 2.4e-7 * Math.Abs(sigma[k]), $"{p}sigma_used[{k}]: {r.Sigma[k]} vs {sigma[k]}");
            checkedSkips++;
        }
        Assert.True(checkedSkips > 0, "the io file has no respaced schedule tables");
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Sampling_runs_match_from_the_stored_noise(string set, string run)
    {
        var golden = PriorGolden.Set(set);
        var io = PriorGolden.Io(golden);
        var prior = PriorGolden.Prior(golden);
        var spec = PriorGolden.Runs(golden).Single(r => r.Name == run);
        string p = $"run.{run}.";
        double tolerance = spec.Skip == 1 ? 5e-5 : 2e-5;
        using var scope = NewDisposeScope();
        var stored = io[p + "noise"];
        int drawn = 0;
        using var trajectory = new PriorTrajectory();
        var z = prior.SampleNormalized(io[p + "embed"], new PriorSampling(spec.CondScale, spec.Skip, spec.Truncation),
            shape => stored[drawn++].clone(), trajectory);

        Assert.Equal(stored.shape[0], drawn);
        Assert.Equal(io[p + "t"].data<long>().ToArray(), trajectory.Timesteps);
        TensorDiff.Close(stack(trajectory.X), io[p + "x_t"], tolerance, $"{run} x_t");
        TensorDiff.Close(stack(trajectory.X0), io[p + "x0"], tolerance, $"{run} x0");
        TensorDiff.Close(z, io[p + "z"], tolerance, $"{run} z");
        var w = prior.Denormalize(z, spec.Truncation);
        TensorDiff.Close(w, io[p + "w"], tolerance, $"{run} w");
        TensorDiff.Close(prior.ToWPlus(w, spec.LatentRepeats), io[p + "ws"], tolerance, $"{run} ws");
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Sampling_runs_match_from_their_seed(string set, string run)
    {
        var golden = PriorGolden.Set(set);
        var io = PriorGolden.Io(golden);
        var prior = PriorGolden.Prior(golden);
        var spec = PriorGolden.Runs(golden).Single(r => r.Name == run);
        string p = $"run.{run}.";
        Assert.Equal(spec.Seed, io[p + "seed"].item<long>());
        double tolerance = spec.Skip == 1 ? 5e-5 : 2e-5;
        using var scope = NewDisposeScope();
        using var generator = new RandomGenerator((ulong)spec.Seed);
        using var trajectory = new PriorTrajectory();
        var w = prior.Sample(io[p + "embed"], new PriorSampling(spec.CondScale, spec.Skip, spec.Truncation), generator, trajectory);

        TensorDiff.Close(stack(trajectory.Noise), io[p + "noise"], 1e-5, $"{run} noise drawn from seed {spec.Seed}");
        TensorDiff.Close(w, io[p + "w"], tolerance, $"{run} w from seed {spec.Seed}");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Reranking_scores_and_orders_match(string set)
    {
        var io = PriorGolden.Io(PriorGolden.Set(set));
        using var scope = NewDisposeScope();
        var text = io["rerank.text_embed"];
        var scores = ClipRanking.Scores(io["rerank.image_embeds"], text);
        TensorDiff.Close(scores, io["rerank.scores"], 1e-6, "re-ranking scores");
        TensorDiff.Close(scores.to(ScalarType.Float64), io["rerank.scores_f64"], 1e-6, "re-ranking scores against float64");

        var (sorted, index) = scores.sort(0, descending: true);
        Assert.Equal(io["rerank.sorted_index"].data<long>().ToArray(), index.data<long>().ToArray());
        TensorDiff.Close(sorted, io["rerank.sorted_scores"], 1e-6, "sorted scores");

        long k = io["rerank.image_embeds"].shape[0] / text.shape[0];
        var order = ClipRanking.OrderPerPrompt(scores, k);
        Assert.Equal(io["rerank.per_prompt_order"].data<long>().ToArray(), order.data<long>().ToArray());
        Assert.Equal(io["rerank.best_index"].data<long>().ToArray(), order[TensorIndex.Colon, 0].data<long>().ToArray());
    }
}
