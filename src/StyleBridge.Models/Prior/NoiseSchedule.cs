namespace StyleBridge.Models.Prior;

/// <summary>
/// The cosine schedule of DALLE2-pytorch 0.2.38 (Nichol &amp; Dhariwal, s = 0.008): computed in float64, kept in float32,
/// as the twelve buffers the checkpoints store.
/// </summary>
public static class NoiseSchedule
{
    public static readonly string[] BufferNames =
    [
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod", "posterior_variance",
        "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    ];

    /// <summary>The twelve buffers for <paramref name="timesteps"/> steps, float32, in <see cref="BufferNames"/> order.</summary>
    public static Dictionary<string, Tensor> Cosine(int timesteps, double s = 0.008)
    {
        using var scope = NewDisposeScope();
        var x = linspace(0, timesteps, timesteps + 1, dtype: ScalarType.Float64);
        var ac = x.div(timesteps).add(s).div(1 + s).mul(Math.PI * 0.5).cos().square();
        ac = ac.div(ac[0].clone());
        var betas = ac[TensorIndex.Slice(1)].div(ac[TensorIndex.Slice(null, -1)]).neg().add(1).clamp(0, 0.999);
        var alphas = betas.neg().add(1);
        var cumprod = alphas.cumprod(0);
        var prev = F.pad(cumprod[TensorIndex.Slice(null, -1)], [1, 0], value: 1.0);
        var oneMinus = cumprod.neg().add(1);
        var posteriorVariance = betas.mul(prev.neg().add(1)).div(oneMinus);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["betas"] = betas,
            ["alphas_cumprod"] = cumprod,
            ["alphas_cumprod_prev"] = prev,
            ["sqrt_alphas_cumprod"] = cumprod.sqrt(),
            ["sqrt_one_minus_alphas_cumprod"] = oneMinus.sqrt(),
            ["log_one_minus_alphas_cumprod"] = oneMinus.log(),
            ["sqrt_recip_alphas_cumprod"] = cumprod.reciprocal().sqrt(),
            ["sqrt_recipm1_alphas_cumprod"] = cumprod.reciprocal().sub(1).sqrt(),
            ["posterior_variance"] = posteriorVariance,
            ["posterior_log_variance_clipped"] = posteriorVariance.clamp_min(1e-20).log(),
            ["posterior_mean_coef1"] = betas.mul(prev.sqrt()).div(oneMinus),
            ["posterior_mean_coef2"] = prev.neg().add(1).mul(alphas.sqrt()).div(oneMinus),
        };
        return result.ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32).MoveToOuterDisposeScope(), StringComparer.Ordinal);
    }
}

/// <summary>
/// clip2latent's <c>set_timestep_skip(S)</c>: the kept steps t_k = k·S and coefficients recomputed in float32 from the
/// float32 ᾱ buffer (β′_k = 1 − ᾱ[t_k] / ᾱ[t_{k−1}], then ᾱ′ by a cumulative product accumulated in double and rounded
/// per element, as torch's CPU cumprod does). The sampler's noise σ stays the 1000-step one,
/// <c>exp(½·posterior_log_variance_clipped[t_k])</c>: the reference's half respacing, kept on purpose.
/// </summary>
public sealed record RespacedSchedule(
    int Skip,
    long[] Timesteps,
    float[] Betas,
    float[] AlphasCumprod,
    float[] Coef1,
    float[] Coef2,
    float[] PosteriorVariance,
    float[] Sigma)
{
    public int Steps => Timesteps.Length;

    public static RespacedSchedule Create(int skip, float[] alphasCumprod, float[] posteriorLogVarianceClipped)
    {
        int total = alphasCumprod.Length;
        if (skip < 1 || total % skip != 0)
            throw new ArgumentOutOfRangeException(nameof(skip), skip, $"the step skip must divide {total}");
        int n = total / skip;
        var t = new long[n];
        var betas = new float[n];
        var cumprod = new float[n];
        var prev = new float[n];
        var coef1 = new float[n];
        var coef2 = new float[n];
        var variance = new float[n];
        var sigma = new float[n];
        float last = 1f;
        double product = 1;
        for (int k = 0; k < n; k++)
        {
            t[k] = (long)k * skip;
            float ac = alphasCumprod[t[k]];
            betas[k] = 1f - ac / last;
            last = ac;
            float alpha = 1f - betas[k];
            product *= alpha;
            cumprod[k] = (float)product;
            prev[k] = k == 0 ? 1f : cumprod[k - 1];
        }

        // the reference's float32 element-wise formulas, in its operation order (IEEE single precision, as torch's)
        for (int k = 0; k < n; k++)
        {
            float oneMinus = 1f - cumprod[k];
            variance[k] = betas[k] * (1f - prev[k]) / oneMinus;
            coef1[k] = betas[k] * MathF.Sqrt(prev[k]) / oneMinus;
            coef2[k] = (1f - prev[k]) * MathF.Sqrt(1f - betas[k]) / oneMinus;
        }

        using (var scope = NewDisposeScope())
        {
            var logvar = tensor(t.Select(i => posteriorLogVarianceClipped[i]).ToArray());
            logvar.mul(0.5f).exp().data<float>().CopyTo(sigma, 0);
        }

        sigma[0] = 0f;
        return new RespacedSchedule(skip, t, betas, cumprod, coef1, coef2, variance, sigma);
    }
}
