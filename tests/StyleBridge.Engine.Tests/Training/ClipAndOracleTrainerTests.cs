using StyleBridge.Engine.Training;
using StyleBridge.Engine.World;
using StyleBridge.Models.Clip;
using StyleBridge.Torch;
using static TorchSharp.torch;

namespace StyleBridge.Engine.Tests.Training;

/// <summary>A few steps of the CLIP and oracle trainers learn, and a checkpoint resumes to the very same next step.</summary>
public sealed class ClipAndOracleTrainerTests
{
    private static readonly Lazy<ClipTokenizer> Tokenizer = new(() =>
        ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz")));

    // the real vocabulary and context, tiny towers: fast enough for CI
    private static readonly ClipConfig Tiny = new(EmbedDim: 32, ImageResolution: 64, VisionLayers: 1, VisionWidth: 64, VisionPatchSize: 16,
        ContextLength: 77, VocabSize: 49408, TransformerWidth: 64, TransformerHeads: 1, TransformerLayers: 1);

    [Fact]
    public void ClipLossFallsOnAFixedBatch()
    {
        using var trainer = new ClipTrainer(new ClipTrainerOptions(Steps: 100, Batch: 16, LearningRate: 2e-3, WarmupSteps: 1, WeightDecay: 0), Tokenizer.Value, Tiny);
        var sampler = new ShapeSampler(11);
        var scenes = sampler.SampleBatch(16);
        var captions = sampler.TrainingCaptions(scenes);
        double Loss()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return trainer.Loss(scenes, captions).Loss.item<float>();
        }

        double before = Loss();
        var optimizer = optim.Adam(trainer.Model.parameters(), 2e-3);
        for (int i = 0; i < 15; i++)
        {
            using var scope = NewDisposeScope();
            var (loss, _) = trainer.Loss(scenes, captions);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        double after = Loss();
        Assert.True(after < before - 0.2, $"loss {before:F3} → {after:F3}");
    }

    [Fact]
    public void ClipCheckpointResumesToTheSameNextStep()
    {
        using var temp = new TempDir();
        var options = new ClipTrainerOptions(Steps: 10, Batch: 8, LearningRate: 1e-3, WarmupSteps: 2, Seed: 5);
        using var straight = new ClipTrainer(options, Tokenizer.Value, Tiny);
        straight.Step();
        straight.Step();
        straight.Save(temp.Path);
        var expected = straight.Step();

        using var resumed = ClipTrainer.Resume(temp.Path, Tokenizer.Value);
        Assert.Equal(2, resumed.StepCount);
        var actual = resumed.Step();
        Assert.Equal(expected.Step, actual.Step);
        Assert.Equal(expected.LearningRate, actual.LearningRate);
        Assert.Equal(expected.Loss, actual.Loss, 4);
        using var scope = NewDisposeScope();
        foreach (var (name, value) in StateDicts.Of(straight.Model))
            Assert.True(value.allclose(StateDicts.Of(resumed.Model).First(kv => kv.Key == name).Value, rtol: 1e-4, atol: 1e-6), name);
    }

    [Fact]
    public void ClipScheduleWarmsUpThenDecaysToZero()
    {
        using var trainer = new ClipTrainer(new ClipTrainerOptions(Steps: 100, LearningRate: 1e-3, WarmupSteps: 10), Tokenizer.Value, Tiny);
        Assert.Equal(1e-4, trainer.LearningRateAt(0), 12);
        Assert.Equal(1e-3, trainer.LearningRateAt(9), 12);
        Assert.True(trainer.LearningRateAt(50) is > 4e-4 and < 6e-4);
        Assert.Equal(0, trainer.LearningRateAt(100), 12);
    }

    [Fact]
    public void OracleLearnsAndResumes()
    {
        using var temp = new TempDir();
        using var trainer = new OracleTrainer(new OracleTrainerOptions(Steps: 40, Batch: 32, LearningRate: 2e-3, Seed: 9));
        var first = trainer.Step();
        for (int i = 0; i < 14; i++)
            trainer.Step();
        trainer.Save(temp.Path);
        var expected = trainer.Step();
        Assert.True(expected.Loss < first.Loss - 0.5, $"loss {first.Loss:F3} → {expected.Loss:F3}");

        using var resumed = OracleTrainer.Resume(temp.Path);
        var actual = resumed.Step();
        Assert.Equal(expected.Loss, actual.Loss, 4);

        string exported = System.IO.Path.Combine(temp.Path, "oracle.safetensors");
        resumed.Export(exported);
        using var loaded = OracleTrainer.Load(exported);
        var scenes = new ShapeSampler(4).SampleBatch(8);
        using var images = ShapeSampler.Render(scenes);
        Assert.Equal(resumed.Model.Predict(images), loaded.Predict(images));
    }

    [Fact]
    public void OracleRefusesBadImagesBeforeTensorWork()
    {
        using var oracle = new AttributeOracle();
        using var wrongSize = zeros(2, 3, 32, 32);
        using var integers = zeros([2, 3, 64, 64], ScalarType.Int64);
        using var empty = zeros(0, 3, 64, 64);
        Assert.Throws<ArgumentException>(() => { oracle.Forward(wrongSize); });
        Assert.Throws<ArgumentException>(() => { oracle.Forward(integers); });
        Assert.Throws<ArgumentException>(() => { oracle.Forward(empty); });
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sb-train-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
