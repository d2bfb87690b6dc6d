using StyleBridge.Models.Clip;
using StyleBridge.Models.Editing;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Editing;

/// <summary>
/// StyleCLIP's preprocessing for global directions, for any generator and CLIP (spec §2.1–§2.2): σ and μ of the conv
/// S over <c>statisticsSamples</c> z truncated with ψ = 0.7 toward the mean latent; then, for every conv channel, over
/// the first <c>samples</c> of those codes, the CLIP-space effect of moving that channel from μ − 5σ to μ + 5σ
/// (both embeddings unit-normalised, their difference normalised, averaged over the samples, normalised): the rows of
/// fs3. Writes <c>fs3</c>, <c>sigma</c> and <c>mu</c>.
/// </summary>
public static class DirectionBuilder
{
    public static void Build(Generator generator, ClipModel clip, ClipImageTransform transform, string path, int samples = 16,
        int statisticsSamples = 10_000, long seed = 5, int channelsPerBatch = 8, Action<int, int>? progress = null, CancellationToken cancellation = default,
        Tensor? releasedFs3 = null)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var rng = new RandomGenerator((ulong)seed);
        var z = randn(statisticsSamples, generator.Config.ZDim, generator: rng);
        var mean = generator.MeanLatent(4096, rng);
        var (sigma, mu) = GlobalDirections.Statistics(generator, z, mean);

        if (releasedFs3 is not null)
        {
            // a released fs3 (StyleCLIP's fs3.npy): only σ and μ are this generator's
            if (releasedFs3.dim() != 2 || releasedFs3.shape[0] != sigma.shape[0])
                throw new ArgumentException($"fs3 must be [{sigma.shape[0]}, D] for this generator, got {TensorBytes.Format(releasedFs3.shape)}");
            Save(path, releasedFs3.to(ScalarType.Float32), sigma, mu, $"released fs3; σ, μ over {statisticsSamples} z (ψ 0.7, population)", seed);
            return;
        }

        // the sample set: the first codes, truncated as in the statistics
        var avg = mean.reshape(1, -1);
        var w = avg.add(generator.Map(z[TensorIndex.Slice(0, samples)]).sub(avg).mul(0.7));
        var wplus = generator.Broadcast(w);
        var s = ConvStyles.Of(generator, wplus);
        int channels = (int)s.shape[1];
        var rows = new Tensor[channels];
        for (int start = 0; start < channels; start += channelsPerBatch)
        {
            cancellation.ThrowIfCancellationRequested();
            using var batchScope = NewDisposeScope();
            int m = Math.Min(channelsPerBatch, channels - start);
            // [m, 2, samples, C]: channel c of every sample set to μ_c − 5σ_c (index 0) or μ_c + 5σ_c (index 1)
            var edited = s.unsqueeze(0).unsqueeze(0).repeat(m, 2, 1, 1);
            for (int j = 0; j < m; j++)
            {
                int c = start + j;
                float lo = mu[c].item<float>() - 5 * sigma[c].item<float>(), hi = mu[c].item<float>() + 5 * sigma[c].item<float>();
                edited[j, 0, TensorIndex.Colon, c] = tensor(lo);
                edited[j, 1, TensorIndex.Colon, c] = tensor(hi);
            }
            var flat = edited.reshape(-1, channels);
            var images = ConvStyles.Render(generator, flat, wplus.repeat(2 * m, 1, 1));
            var e = ClipModel.Normalize(clip.EncodeImage(transform.Apply(images))).reshape(m, 2, samples, -1);
            var d = e[TensorIndex.Colon, 1].sub(e[TensorIndex.Colon, 0]);
            d = d.div(d.norm(2, true).clamp_min(1e-12));
            var row = d.mean([1]);
            row = row.div(row.norm(1, true).clamp_min(1e-12));
            for (int j = 0; j < m; j++)
                rows[start + j] = row[j].clone().MoveToOuterDisposeScope();
            progress?.Invoke(start + m, channels);
        }

        Save(path, stack(rows), sigma, mu,
            $"StyleCLIP SingleChannel: {samples} samples, ±5σ, CLIP {transform.Resize}/{transform.Normalization}; σ, μ over {statisticsSamples} z (ψ 0.7, population)", seed);
    }

    private static void Save(string path, Tensor fs3, Tensor sigma, Tensor mu, string recipe, long seed) =>
        SafeTensors.Save(path, [new("fs3", fs3.contiguous()), new("sigma", sigma.contiguous()), new("mu", mu.contiguous())],
            new Dictionary<string, string>
            {
                ["recipe"] = recipe,
                ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
}
