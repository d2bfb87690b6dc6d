using StyleBridge.Engine.World;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Engine.Training;

/// <param name="Steps">Optimiser steps in the whole run (the cosine schedule ends there).</param>
/// <param name="Batch">Image–caption pairs per step.</param>
public sealed record ClipTrainerOptions(
    int Steps = 2500, int Batch = 128, double LearningRate = 5e-4, int WarmupSteps = 150, double WeightDecay = 0.1, ulong Seed = 1);

/// <param name="Loss">The symmetric contrastive loss of this step.</param>
/// <param name="Accuracy">Fraction of images whose best-scoring caption in the batch describes them.</param>
public sealed record ClipStepResult(int Step, double Loss, double Accuracy, double LearningRate, double Temperature);

/// <summary>
/// Trains the Shapes CLIP from scratch on freshly rendered scenes and their training captions (held-out pairs never
/// named): CLIP's symmetric contrastive loss with the learnable temperature, AdamW, linear warm-up then cosine decay.
/// A caption names only some attributes, so several images of a batch can fit it; every fitting pair counts as a
/// positive (targets spread evenly over them) instead of the diagonal alone, which would punish true matches.
/// Every step draws its batch from (seed, step), so a resumed run continues exactly where it stopped.
/// </summary>
public sealed class ClipTrainer : IDisposable
{
    private static readonly double MaxLogitScale = Math.Log(100);
    private readonly ClipTokenizer tokenizer;
    private readonly TorchSharp.Modules.AdamW optimizer;

    /// <param name="config">The architecture; <see cref="ShapesClip.Config"/> unless a test asks for a smaller one.</param>
    public ClipTrainer(ClipTrainerOptions options, ClipTokenizer tokenizer, ClipConfig? config = null)
    {
        Options = options;
        this.tokenizer = tokenizer;
        Model = new ClipModel(config ?? ShapesClip.Config, initialize: false);
        using (var init = new RandomGenerator(options.Seed))
            Model.InitializeParameters(init);
        Model.train();
        optimizer = optim.AdamW(Model.parameters(), options.LearningRate, 0.9, 0.98, 1e-6, options.WeightDecay);
    }

    public ClipTrainerOptions Options { get; }
    public ClipModel Model { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    public double LearningRateAt(int step)
    {
        if (step < Options.WarmupSteps)
            return Options.LearningRate * (step + 1) / Options.WarmupSteps;
        return CosineSchedule.At((step - Options.WarmupSteps) / (double)Math.Max(1, Options.Steps - Options.WarmupSteps), Options.LearningRate, 0);
    }

    public ClipStepResult Step()
    {
        double lr = LearningRateAt(StepCount);
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = lr;

        var sampler = new ShapeSampler(Options.Seed * 1_000_003UL + (ulong)StepCount);
        var scenes = sampler.SampleBatch(Options.Batch);
        var captions = sampler.TrainingCaptions(scenes);

        using var scope = NewDisposeScope();
        var (loss, accuracy) = Loss(scenes, captions);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        using (no_grad())
            Model.LogitScale.clamp_(0, MaxLogitScale);

        StepCount++;
        return new ClipStepResult(StepCount, loss.item<float>(), accuracy, lr, Math.Exp(Model.LogitScale.item<float>()));
    }

    /// <summary>The loss (with its graph) and batch accuracy for these scenes and captions.</summary>
    internal (Tensor Loss, double Accuracy) Loss(IReadOnlyList<ShapeScene> scenes, IReadOnlyList<Caption> captions)
    {
        int n = scenes.Count;
        var images = ShapesClip.Transform.Apply(ShapeSampler.Render(scenes));
        var ids = ClipTokenIds.FromTexts(tokenizer, captions.Select(c => c.Text).ToList());
        var imageFeatures = ClipModel.Normalize(Model.EncodeImage(images));
        var textFeatures = ClipModel.Normalize(Model.EncodeText(ids, trimPadding: true));
        var logits = imageFeatures.matmul(textFeatures.t()).mul(Model.LogitScale.exp());   // [images, captions]

        var fits = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                fits[i * n + j] = captions[j].Named.Matches(scenes[i].Attributes) ? 1 : 0;
        var match = tensor(fits, [n, n]);
        var perImage = match.div(match.sum(1, keepdim: true));
        var perCaption = match.div(match.sum(0, keepdim: true));
        var imageLoss = perImage.mul(logits.log_softmax(dim: 1)).sum(dim: 1).neg().mean();
        var captionLoss = perCaption.mul(logits.log_softmax(dim: 0)).sum(dim: 0).neg().mean();
        var loss = imageLoss.add(captionLoss).div(2);

        using var best = logits.argmax(1);
        var chosen = best.data<long>().ToArray();
        double accuracy = Enumerable.Range(0, n).Count(i => fits[i * n + (int)chosen[i]] == 1) / (double)n;
        return (loss, accuracy);
    }

    /// <summary>Model, optimiser state and step counter, enough to continue bit for bit.</summary>
    public void Save(string directory) => TrainingCheckpoint.Save(directory, Model, optimizer, StepCount, Options);

    public static ClipTrainer Resume(string directory, ClipTokenizer tokenizer, int? steps = null)
    {
        var state = TrainingCheckpoint.ReadState<ClipTrainerOptions>(directory);
        using var weights = TrainingCheckpoint.ReadWeights(directory);
        var trainer = new ClipTrainer(steps is { } s ? state.Options with { Steps = s } : state.Options, tokenizer, ClipConfig.FromStateDict(weights));
        StateDicts.LoadInto(trainer.Model, weights);
        TrainingCheckpoint.LoadOptimizer(directory, trainer.optimizer);
        trainer.StepCount = state.Step;
        return trainer;
    }

    /// <summary>
    /// The trained weights in OpenAI CLIP's names, loadable by <see cref="ClipLoader.Load"/>, stored in float16 as
    /// OpenAI stores its releases (the loader widens them to float32 on the CPU): half the size, the token embedding of
    /// the full vocabulary being most of it.
    /// </summary>
    public void Export(string path)
    {
        using var scope = NewDisposeScope();
        var half = StateDicts.Of(Model).Select(kv => new KeyValuePair<string, Tensor>(kv.Key,
            kv.Value.dtype == ScalarType.Float32 ? kv.Value.detach().to(ScalarType.Float16) : kv.Value)).ToList();
        SafeTensors.Save(path, half);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        Model.Dispose();
    }
}
