using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using StyleBridge.Models.Prior;
using StyleBridge.Models.StyleGan2;
using static TorchSharp.torch;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Tests.Generation;

/// <summary>Tiny random models with the real tokenizer: CLIP (embed 16, 16 px), StyleGAN2 (16 px, w 16), a prior and CSLA of matching widths.</summary>
internal sealed class TinyModels : IDisposable
{
    public static readonly Lazy<ClipTokenizer> Tokenizer = new(() =>
        ClipTokenizer.FromOpenAiVocab(GoldenData.Path("clip", "bpe_simple_vocab_16e6.txt.gz")));

    public TinyModels(ulong seed = 7)
    {
        manual_seed((long)seed);
        Clip = new ClipModel(new ClipConfig(EmbedDim: 16, ImageResolution: 16, VisionLayers: 1, VisionWidth: 64, VisionPatchSize: 8,
            ContextLength: 77, VocabSize: 49408, TransformerWidth: 32, TransformerHeads: 1, TransformerLayers: 1));
        Clip.Freeze();
        Generator = new Generator(new StyleGan2Config(16, 16, 2, new Dictionary<int, int> { [4] = 16, [8] = 12, [16] = 8 }) { MaxCpuBatch = null });
        Generator.Freeze();
        Prior = new LatentPrior(new PriorConfig(16, 1, 2, 8, LatentRepeats: Generator.NLatent));
        Prior.Freeze();
        Csla = new CslaModel(new CslaConfig(16, 16, MapperDepth: 2, NeutralPrompt: "a shape"), Generator);
        using (no_grad())
        {
            // a trained-looking mapper: the zero-initialised last layer would make every Δw zero
            foreach (var p in Csla.Mapper.parameters())
                p.copy_(randn_like(p).mul(0.3));
        }
        Csla.Freeze();
    }

    public ClipModel Clip { get; }
    public Generator Generator { get; }
    public LatentPrior Prior { get; }
    public CslaModel Csla { get; }

    public void Dispose()
    {
        Csla.Dispose();
        Prior.Dispose();
        Generator.Dispose();
        Clip.Dispose();
    }
}
