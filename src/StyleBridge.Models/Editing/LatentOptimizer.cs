using StyleBridge.Models.Clip;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Models.Editing;

/// <summary>Settings of StyleCLIP's latent optimisation (<c>run_optimization.py</c> defaults).</summary>
/// <param name="FirstLayer">The first W+ row that moves (0: all); earlier rows keep the start's values.</param>
public sealed record LatentOptimizationOptions(int Steps = 300, double LearningRate = 0.1, double L2Lambda = 0.008, int FirstLayer = 0);

/// <summary>One step's figures, evaluated at the latent before that step's update.</summary>
public sealed record LatentOptimizationStep(int Step, double LearningRate, double Loss, double ClipLoss, double L2Loss, double Cosine);

/// <summary>
/// StyleCLIP latent optimisation (spec §3) in W+: Adam on the latent, loss
/// <c>Σ_b [1 − logit_scale·cos(E_I(pool(G(x_b))), E_T(text)) / 100] + λ_L2·Σ (x − x₀)²</c> (the reference's literal 100),
/// the learning rate ramped up over the first 5 % and down over the last 25 % (cosine), lr 0 at step 0. Fixed noise.
/// Rows of a batch are independent (the loss is a sum of per-row terms), so a batch equals one run per row. No
/// identity term: no face recogniser is part of our model sets.
/// </summary>
public static class LatentOptimizer
{
    /// <summary>The reference's <c>get_lr</c> at step <paramref name="step"/> of <paramref name="steps"/>.</summary>
    public static double LearningRate(int step, int steps, double lr)
    {
        double t = (double)step / steps;
        double ramp = Math.Min(1.0, (1 - t) / 0.25);
        ramp = 0.5 - 0.5 * Math.Cos(Math.PI * ramp);
        ramp *= Math.Min(1.0, t / 0.05);
        return lr * ramp;
    }

    /// <summary>
    /// Optimises W+ <paramref name="start"/> [B, L, W] toward <paramref name="textFeatures"/> [1, D] (raw
    /// <c>encode_text</c>). <paramref name="observe"/> sees each step's figures, the gradient at the latent before the
    /// update and the latent after it (borrowed: clone to keep). Checks <paramref name="cancellation"/> between steps.
    /// </summary>
    public static Tensor Run(Generator generator, ClipModel clip, Tensor textFeatures, Tensor start, LatentOptimizationOptions options,
        ClipImageTransform? transform = null, Action<LatentOptimizationStep, Tensor, Tensor>? observe = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(clip);
        if (start.dim() != 3 || start.shape[1] != generator.NLatent || start.shape[2] != generator.Config.StyleDim)
            throw new ArgumentException($"the start latent must be W+ [B, {generator.NLatent}, {generator.Config.StyleDim}], got {TensorBytes.Format(start.shape)}", nameof(start));
        if (options.Steps < 1)
            throw new ArgumentException($"steps must be at least 1, got {options.Steps}", nameof(options));
        if (options.FirstLayer < 0 || options.FirstLayer >= generator.NLatent)
            throw new ArgumentException($"the first layer must lie in [0, {generator.NLatent - 1}], got {options.FirstLayer}", nameof(options));
        transform ??= ClipImageTransform.StyleClip(clip.Config.ImageResolution);

        var initial = start.detach().clone();
        var latent = new TorchSharp.Modules.Parameter(start.detach().clone(), requires_grad: true);
        try
        {
            using var adam = optim.Adam([latent], options.LearningRate);
            for (int i = 0; i < options.Steps; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                double lr = LearningRate(i, options.Steps, options.LearningRate);
                foreach (var group in adam.ParamGroups)
                    group.LearningRate = lr;
                using var scope = NewDisposeScope();
                var image = generator.Synthesize(latent, SynthesisOptions.Default);
                var features = clip.EncodeImage(transform.Apply(image));
                // the reference's order: (exp(logit_scale)·img_n) @ txt_nᵀ
                var scale = clip.LogitScaleExp().to(features.dtype);
                var logits = ClipModel.Normalize(features).mul(scale).matmul(ClipModel.Normalize(textFeatures.to(features.dtype)).t()).squeeze(1);
                var cos = logits.div(scale);
                var clipLoss = logits.div(100).neg().add(1);
                var l2 = initial.sub(latent).square().sum();
                var loss = clipLoss.sum().add(l2.mul(options.L2Lambda));
                adam.zero_grad();
                loss.backward();
                if (options.FirstLayer > 0) // Adam leaves a parameter whose gradient stays zero where it is
                    using (no_grad())
                        latent.grad!.narrow(1, 0, options.FirstLayer).zero_();
                var grad = latent.grad!.detach().clone();
                adam.step();
                observe?.Invoke(new LatentOptimizationStep(i, lr, loss.to(ScalarType.Float64).item<double>(),
                    clipLoss.sum().to(ScalarType.Float64).item<double>(), l2.to(ScalarType.Float64).item<double>(),
                    cos.mean().to(ScalarType.Float64).item<double>()), grad, latent);
            }
            return latent.detach().clone();
        }
        finally
        {
            initial.Dispose();
            latent.Dispose();
        }
    }
}
