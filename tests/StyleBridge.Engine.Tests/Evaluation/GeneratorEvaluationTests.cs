using StyleBridge.Engine.Evaluation;
using StyleBridge.Engine.World;
using StyleBridge.Models.StyleGan2;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Tests.Evaluation;

/// <summary>The generator read back by the oracle, and for a scene-coded one, against what each z codes.</summary>
public sealed class GeneratorEvaluationTests
{
    [Fact]
    public void A_scene_coded_report_counts_the_coded_value_against_the_read_one()
    {
        const int samples = 60;
        const ulong seed = 41;
        // untrained: what the counts are is the point, not how good they are
        using var g = new Generator(new StyleGan2Config(64, 32, 2, new Dictionary<int, int> { [4] = 8, [8] = 8, [16] = 8, [32] = 8, [64] = 8 }) { MaxCpuBatch = null });
        using var oracle = new AttributeOracle();
        {
            oracle.eval();
            var report = GeneratorEvaluation.Evaluate(g, oracle, samples, seed, sceneCoded: true);
            Assert.NotNull(report.CodedScenes);

            // the coded axis: the scenes the first batch's z stand for (Evaluate draws z first from its seed)
            ShapeScene[] coded;
            using (var rng = new TorchSharp.torch.Generator(seed))
            using (var z = randn([samples, g.Config.ZDim], generator: rng))
                coded = SceneCode.Decode(z);
            var confusion = report.CodedScenes!.Confusion;
            var shapes = confusion[WorldAttribute.Shape];
            for (int v = 0; v < 3; v++)
            {
                long row = Enumerable.Range(0, 3).Sum(j => shapes[v, j]);
                Assert.Equal(coded.Count(s => (int)s.Shape == v), row);
            }

            // the read axis: the distribution the report gives
            foreach (var (attribute, shares) in report.Distribution)
            {
                var m = confusion[attribute];
                for (int j = 0; j < shares.Length; j++)
                {
                    long column = Enumerable.Range(0, shares.Length).Sum(i => m[i, j]);
                    Assert.Equal(shares[j] * samples, column, 6);
                }
            }

            double agreement = report.CodedScenes.Agreement(WorldAttribute.Shape);
            long diagonal = Enumerable.Range(0, 3).Sum(i => shapes[i, i]);
            Assert.Equal(diagonal / (double)samples, agreement, 9);

            Assert.Null(GeneratorEvaluation.Evaluate(g, oracle, 10, seed).CodedScenes);
        }
    }

    [Fact]
    public void Agreement_and_recall_come_from_the_confusion_matrix()
    {
        var report = new CodedSceneReport(new Dictionary<WorldAttribute, long[,]> { [WorldAttribute.Shape] = new long[,] { { 8, 2, 0 }, { 5, 5, 0 }, { 0, 0, 10 } } });
        Assert.Equal(23 / 30.0, report.Agreement(WorldAttribute.Shape), 12);
        Assert.Equal(0.8, report.Recall(WorldAttribute.Shape, 0), 12);
        Assert.Equal(0.5, report.Recall(WorldAttribute.Shape, 1), 12);
        Assert.Equal(1.0, report.Recall(WorldAttribute.Shape, 2), 12);
    }

    [Fact]
    public void Only_the_scene_trainers_files_are_scene_coded()
    {
        Assert.True(GeneratorEvaluation.IsSceneCoded(new Dictionary<string, string> { ["producer"] = "SceneDistillationTrainer" }));
        Assert.True(GeneratorEvaluation.IsSceneCoded(new Dictionary<string, string> { ["producer"] = "SceneMappingTrainer" }));
        Assert.False(GeneratorEvaluation.IsSceneCoded(new Dictionary<string, string> { ["producer"] = "StyleGan2Trainer" }));
        Assert.False(GeneratorEvaluation.IsSceneCoded(new Dictionary<string, string>()));
    }
}
