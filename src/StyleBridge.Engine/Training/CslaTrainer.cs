using StyleBridge.Models.Csla;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Training;

/// <summary>Settings of a CSLA training run (csla.md §5, with its [I] proposals and our Shapes-world sizes).</summary>
public sealed record CslaTrainerOptions(
    int Steps = 3000,
    int Batch = 256,
    ulong Seed = 1,
    double LearningRate = 1e-3,
    double FinalLearningRate = 1e-5,
    double GlobalCentreShare = 0.25,
    double RunningMeanBeta = 0.995,
    double LambdaW = 1.0,
    double LambdaS = 1.0,
    int StatisticsSamples = 10_000,
    double ValidationFraction = 0.02,
    CslaConfig? Config = null,
    double EmbedNoiseScale = 0,
    double EmbedNoiseShare = 1);

/// <summary>
/// Trains the CSLA mappers data-free on (w, CLIP image embedding) pairs of the generator (csla.md §5.2, §5.5): the
/// frozen affines give s = A(w); a centre triple (f_base, w_base, s_base) per sample comes from the configured
/// <see cref="CslaCentre"/>; Δw = M_w(f − f_base), s' = ASM(s_base + H(Δw), Δw); loss = λ_w·MSE(w_base + Δw, w) +
/// λ_s·MSE((s' − s)/σ_s) with σ_s the per-channel spread of S. Adam with cosine decay. No gradient reaches the
/// generator or CLIP. Step t draws its batch (and its partner samples) from (seed, t): a resumed run continues exactly.
/// With <see cref="CslaTrainerOptions.EmbedNoiseScale"/> &gt; 0 a share (<see cref="CslaTrainerOptions.EmbedNoiseShare"/>)
/// of the training samples' own embeddings (not their centres) gets clip2latent's pseudo-text noise first
/// (<see cref="PriorTrainer.PseudoTextNoise"/>): not in the paper, an option for text, whose residuals lie off the
/// image residuals the mapper is trained on; the clean share keeps inversion exact. Validation is noise-free.
/// </summary>
public sealed class CslaTrainer : IDisposable
{
    private readonly Tensor latents;
    private readonly Tensor embeddings;
    private readonly long trainCount;
    private readonly Tensor sAvg;
    private readonly TorchSharp.Modules.Adam optimizer;

    public CslaTrainer(CslaTrainerOptions options, Generator generator, Tensor w, Tensor embeddings, IReadOnlyDictionary<string, Tensor>? resumeWeights = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(options.EmbedNoiseScale >= 0) || !(options.EmbedNoiseShare is >= 0 and <= 1))
            throw new ArgumentException($"EmbedNoiseScale must be ≥ 0 and EmbedNoiseShare in [0, 1], got {options.EmbedNoiseScale} and {options.EmbedNoiseShare}");
        if (w.dim() != 2 || embeddings.dim() != 2 || w.shape[0] != embeddings.shape[0])
            throw new ArgumentException($"expected w [N, W] and embeddings [N, E], got {TensorBytes.Format(w.shape)} and {TensorBytes.Format(embeddings.shape)}");
        var config = options.Config ?? new CslaConfig((int)embeddings.shape[1], (int)w.shape[1]);
        Options = options with { Config = config };
        Generator = generator;
        latents = w;
        this.embeddings = embeddings;
        long n = w.shape[0];
        trainCount = Math.Max(1, n - (long)Math.Round(n * options.ValidationFraction));

        lock (InitLock)
        {
            manual_seed((long)options.Seed);
            Model = new CslaModel(config, generator);
        }

        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            if (resumeWeights is null)
            {
                var head = Math.Min(options.StatisticsSamples, trainCount);
                var wHead = w[TensorIndex.Slice(0, head)];
                Model.WAvg.copy_(wHead.mean([0]));
                Model.ImageCentre.copy_(Model.PrepareEmbedding(embeddings[TensorIndex.Slice(0, head)]).mean([0]));
                Model.StyleStd.copy_(generator.StyleSpace.Concat(generator.Styles(wHead)).std([0]).clamp_min(1e-6));
            }
            else
            {
                StateDicts.LoadInto(Model, resumeWeights);
            }
        }

        sAvg = generator.StyleSpace.Concat(generator.Styles(Model.WAvg.unsqueeze(0))).detach().DetachFromDisposeScope();
        Model.train();
        optimizer = optim.Adam(Model.parameters(), options.LearningRate, 0.9, 0.999);
    }

    private static readonly object InitLock = new();

    public CslaTrainerOptions Options { get; }
    public CslaModel Model { get; }
    public Generator Generator { get; }
    public int StepCount { get; private set; }

    public double LearningRateAt(int step)
    {
        return CosineSchedule.At((double)step / Math.Max(1, Options.Steps), Options.LearningRate, Options.FinalLearningRate);
    }

    /// <summary>One Adam step; returns (loss_w, loss_s).</summary>
    public (double LossW, double LossS) Step()
    {
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = LearningRateAt(StepCount);
        using var scope = NewDisposeScope();
        using var rng = new RandomGenerator(Options.Seed * 1_000_003UL + (ulong)StepCount);
        var index = randint(0, trainCount, [Options.Batch], generator: rng);
        var partner = randint(0, trainCount, [Options.Batch], generator: rng);
        var useGlobal = rand([Options.Batch], generator: rng).lt(Options.GlobalCentreShare).unsqueeze(1);
        var (lossW, lossS) = Losses(index, partner, useGlobal, training: true, rng);
        var loss = lossW.mul(Options.LambdaW).add(lossS.mul(Options.LambdaS));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        StepCount++;
        return (lossW.item<float>(), lossS.item<float>());
    }

    /// <summary>(loss_w, loss_s) on the held-out tail, partners drawn from it with a fixed seed.</summary>
    public (double LossW, double LossS) Validate()
    {
        long n = latents.shape[0];
        if (n - trainCount < 2)
            return (double.NaN, double.NaN);
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        using var rng = new RandomGenerator(0xC51A_0001UL);
        var index = arange(trainCount, n, dtype: ScalarType.Int64);
        var partner = randint(trainCount, n, [index.shape[0]], generator: rng);
        var useGlobal = rand([index.shape[0]], generator: rng).lt(Options.GlobalCentreShare).unsqueeze(1);
        var (lw, ls) = Losses(index, partner, useGlobal, training: false, rng);
        return (lw.item<float>(), ls.item<float>());
    }

    private (Tensor LossW, Tensor LossS) Losses(Tensor index, Tensor partner, Tensor useGlobal, bool training, RandomGenerator rng)
    {
        var space = Generator.StyleSpace;
        var w = latents.index_select(0, index);
        var own = embeddings.index_select(0, index);
        if (training && Options.EmbedNoiseScale > 0)
        {
            var noisy = PriorTrainer.PseudoTextNoise(own, Options.EmbedNoiseScale, rng);
            own = Options.EmbedNoiseShare >= 1 ? noisy
                : where(rand([own.shape[0], 1], generator: rng).lt(Options.EmbedNoiseShare), noisy, own);
        }
        var f = Model.PrepareEmbedding(own);
        Tensor s;
        using (no_grad())
            s = space.Concat(Generator.Styles(w));
        long b = w.shape[0];
        var cGlobal = Model.ImageCentre.unsqueeze(0).expand(b, -1);
        var wGlobal = Model.WAvg.unsqueeze(0).expand(b, -1);
        var sGlobal = sAvg.expand(b, -1);

        Tensor fb, wb, sb;
        switch (Model.Config.Centre)
        {
            case CslaCentre.TemporalPrevious:
                var wp = latents.index_select(0, partner);
                var fp = Model.PrepareEmbedding(embeddings.index_select(0, partner));
                Tensor sp;
                using (no_grad())
                    sp = space.Concat(Generator.Styles(wp));
                fb = where(useGlobal, cGlobal, fp);
                wb = where(useGlobal, wGlobal, wp);
                sb = where(useGlobal, sGlobal, sp);
                break;
            case CslaCentre.RunningMean:
                if (training)
                {
                    using (no_grad())
                        Model.ImageCentre.lerp_(f.mean([0]), 1 - Options.RunningMeanBeta);
                }
                (fb, wb, sb) = (Model.ImageCentre.unsqueeze(0).expand(b, -1), wGlobal, sGlobal);
                break;
            case CslaCentre.BatchMean:
                (fb, wb, sb) = (f.mean([0], keepdim: true).expand(b, -1), w.mean([0], keepdim: true).expand(b, -1), s.mean([0], keepdim: true).expand(b, -1));
                break;
            case CslaCentre.Mean:
                (fb, wb, sb) = (cGlobal, wGlobal, sGlobal);
                break;
            default:
                (fb, wb, sb) = (zeros_like(f), zeros_like(w), zeros_like(s));
                break;
        }

        var dw = Model.DeltaW(f.sub(fb));
        var lossW = F.mse_loss(wb.add(dw), w);
        var styles = Model.Styles(space.Split(sb.contiguous()), dw);
        var std = Model.StyleStd;
        var lossS = F.mse_loss(space.Concat(styles).div(std), s.div(std));
        return (lossW, lossS);
    }

    public void Save(string directory) => TrainingCheckpoint.Save(directory, Model, optimizer, StepCount, Options);

    public static CslaTrainer Resume(string directory, Generator generator, Tensor w, Tensor embeddings, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<CslaTrainerOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        var trainer = new CslaTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, generator, w, embeddings, weights);
        TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
        trainer.StepCount = state.Step;
        return trainer;
    }

    public void Export(string path) => Model.Save(path);

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
        sAvg.Dispose();
    }
}
