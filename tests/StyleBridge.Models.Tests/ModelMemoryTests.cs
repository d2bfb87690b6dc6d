using System.Diagnostics;
using StyleBridge.Models.Clip;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Models.Tests.StyleGan2;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests;

/// <summary>
/// 200 forward passes of each model leave no tensor behind (TorchSharp's dispose-scope statistics) and do not grow
/// the process (RSS), as a server that runs them for days needs.
/// </summary>
[Collection(TensorAccountingCollection.Name)]
public class ModelMemoryTests
{
    private const int Passes = 200;

    [Fact]
    public void ClipAndStyleGan2RunTwoHundredTimesWithoutGrowth()
    {
        var clipSet = ClipGolden.ModelSets()[0];
        using var clip = ClipLoader.Load(clipSet.StatePath, c => c.WithJsonFile(clipSet.ConfigPath));
        using var clipIo = SafeTensors.Load(clipSet.IoPath);
        var ganSet = StyleGanGolden.Sets.First(s => s.Folder == "rosinality");
        using var generator = StyleGanGolden.Model(ganSet);
        using var ganIo = StyleGanGolden.Io(ganSet);
        var ws = ganIo["wplus_rand"];

        void Pass()
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            clip.EncodeImage(clipIo["images"]);
            clip.EncodeText(clipIo["text_ids"]);
            generator.Synthesize(ws);
        }

        for (int i = 0; i < 20; i++)
            Pass(); // warm-up: allocator pools and lazily created state settle first
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveBefore = Tensors.LiveTensors;
        long rssBefore = Rss();

        for (int i = 0; i < Passes; i++)
            Pass();
        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.Equal(liveBefore, Tensors.LiveTensors);
        long growth = Rss() - rssBefore;
        Assert.True(growth < 32L << 20, $"RSS grew by {growth >> 20} MiB over {Passes} passes");
    }

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
