using StyleBridge.Engine.Editing;
using StyleBridge.Engine.Generation;
using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Csla;
using StyleBridge.Models.Editing;

namespace StyleBridge.Engine.Serving;

/// <summary>
/// The models of one model set, loaded once and shared by the text-to-image and edit pipelines. Only the batching
/// worker's thread runs them.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly List<IDisposable> owned = [];

    public ModelHost(ModelSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        Set = set;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var clip = Own(set.LoadClip());
        var tokenizer = set.LoadTokenizer();
        var generator = Own(set.LoadGenerator());
        var prior = set.Has(ModelSet.PriorFile) ? Own(set.LoadPrior()) : null;
        var csla = set.Has(ModelSet.CslaFile) ? Own(CslaModel.FromFile(set.PathOf(ModelSet.CslaFile), generator)) : null;
        GlobalDirections? directions = null;
        if (set.Has(ModelSet.DirectionsFile))
        {
            using var d = StyleBridge.Torch.Serialization.SafeTensors.Load(set.PathOf(ModelSet.DirectionsFile));
            directions = Own(new GlobalDirections(d["fs3"], d["sigma"], d.TryGetValue("mu", out var mu) ? mu : null));
        }
        var delta = set.Has(ModelSet.DeltaEditFile) ? Own(DeltaMapper.FromFile(set.PathOf(ModelSet.DeltaEditFile), generator.StyleSpace.TotalDimWithoutToRgb)) : null;
        TextToImage = new TextToImagePipeline(clip, tokenizer, generator, prior, csla);
        Editing = new EditPipeline(clip, tokenizer, generator, csla, directions, delta) { ColourLayer = EditPipeline.ColourLayerOf(set, generator) };
        LoadSeconds = clock.Elapsed.TotalSeconds;
    }

    public ModelSet Set { get; }
    public TextToImagePipeline TextToImage { get; }
    public EditPipeline Editing { get; }
    public double LoadSeconds { get; }

    private T Own<T>(T value) where T : IDisposable
    {
        owned.Add(value);
        return value;
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(owned))
            d.Dispose();
    }
}
