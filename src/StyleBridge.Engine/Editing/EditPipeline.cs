using StyleBridge.Engine.ModelSets;
using StyleBridge.Models.Clip;
using StyleBridge.Models.Csla;
using StyleBridge.Models.Editing;
using StyleBridge.Models.StyleGan2;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.Editing;

/// <summary>How an edit moves the latent.</summary>
public enum EditMethod
{
    /// <summary>StyleCLIP global directions (fs3, σ, α, β).</summary>
    Global,

    /// <summary>The DeltaEdit mapper.</summary>
    DeltaEdit,

    /// <summary>The CSLA mappers: Δw/Δs around the source latent.</summary>
    Csla,

    /// <summary>StyleCLIP latent optimisation toward the target text.</summary>
    Optimize,
}

/// <summary>How CSLA turns a sentence pair into Δw (csla.md §6).</summary>
public enum CslaDirection
{
    /// <summary>Δw = M_w(norm f_trg − norm f_src): the residual the mapper was trained on.</summary>
    Residual,

    /// <summary>Δw = M_w(norm f_trg) − M_w(norm f_src): the difference of mapped codes, no centre (the unofficial code's).</summary>
    MappedDifference,
}

/// <summary>Where inversion's refinement optimises (the encoder gives one w either way).</summary>
public enum RefineSpace
{
    /// <summary>One w per layer (W+): the closest reconstruction.</summary>
    WPlus,

    /// <summary>One w shared by every layer (W, as StyleGAN2's projector): a little less close, and edits from it keep more of the image (e4e's distortion–editability trade-off).</summary>
    W,
}

/// <summary>The names the CLI and the API give a <see cref="RefineSpace"/>: <c>w+</c> and <c>w</c>.</summary>
public static class RefineSpaceNames
{
    public static IReadOnlyList<string> All { get; } = ["w+", "w"];

    public static string Name(this RefineSpace space) => space == RefineSpace.W ? "w" : "w+";

    public static RefineSpace Parse(string name) => name.ToLowerInvariant() switch
    {
        "w+" => RefineSpace.WPlus,
        "w" => RefineSpace.W,
        _ => throw new ArgumentException($"refine_space: w+ or w, got '{name}'"),
    };
}

/// <summary>An edit: source and target text, the method and its knobs.</summary>
public sealed record EditRequest
{
    public const int MaxTextLength = 300;
    public const int MaxOptimizationSteps = 500;
    public const double MaxStrength = CslaConfig.MaxEditStrength;

    /// <summary>StyleCLIP's β.</summary>
    public const double DefaultDisentanglement = 0.15;

    public required string Source { get; init; }
    public required string Target { get; init; }
    public EditMethod Method { get; init; } = EditMethod.Global;

    /// <summary>α; null takes the method's default (<see cref="EditPipeline.DefaultStrength"/>).</summary>
    public double? Strength { get; init; }

    /// <summary>β of global directions (channels with |fs3·Δt| below it stay).</summary>
    public double Disentanglement { get; init; } = DefaultDisentanglement;

    /// <summary>Steps of latent optimisation.</summary>
    public int Steps { get; init; } = 40;

    /// <summary>CSLA's Δw from the sentence pair.</summary>
    public CslaDirection CslaDirection { get; init; } = CslaDirection.Residual;

    /// <summary>
    /// The first W+ layer the edit may move (0: all): W+ rows before it, and the styles they feed, stay the source's.
    /// Layer ranges as GANSpace edits; on a generator trained with colour mixing (stylegan2-distill --colour-mixing),
    /// its colour layer confines a colour edit to the layers that carry colour alone.
    /// </summary>
    public int FirstLayer { get; init; }

    /// <summary>
    /// Confine the edit to the generator's colour layers: <see cref="FirstLayer"/> becomes the colour layer its file
    /// records (<see cref="EditPipeline.ColourLayer"/>). For colour edits; a shape or position edit needs the early layers.
    /// </summary>
    public bool ColourLayers { get; init; }

    /// <summary>
    /// α when a request names none and the model set gives none: CSLA's own default is its file's edit strength
    /// (<see cref="EditPipeline.DefaultStrength"/>), csla.md §6's 1 for a file that carries none.
    /// </summary>
    public static double DefaultStrength(EditMethod method) => method switch
    {
        EditMethod.Global => 4.0,
        _ => 1.0,
    };

    public void Validate()
    {
        foreach (var (name, text) in new[] { ("source", Source), ("target", Target) })
        {
            if (string.IsNullOrWhiteSpace(text))
                throw new ArgumentException($"{name}: must not be empty");
            if (text.Length > MaxTextLength)
                throw new ArgumentException($"{name}: at most {MaxTextLength} characters, got {text.Length}");
        }
        if (Strength is { } strength && (!double.IsFinite(strength) || Math.Abs(strength) > MaxStrength))
            throw new ArgumentException($"strength: must lie in [-{MaxStrength}, {MaxStrength}], got {strength}");
        if (!double.IsFinite(Disentanglement) || Disentanglement is < 0 or > 1)
            throw new ArgumentException($"disentanglement: must lie in [0, 1], got {Disentanglement}");
        if (Steps is < 1 or > MaxOptimizationSteps)
            throw new ArgumentException($"steps: must lie in [1, {MaxOptimizationSteps}], got {Steps}");
        if (FirstLayer < 0)
            throw new ArgumentException($"first_layer: must not be negative, got {FirstLayer}");
        if (ColourLayers && FirstLayer != 0)
            throw new ArgumentException($"colour_layers names the first layer itself; give it or first_layer ({FirstLayer}), not both");
    }
}

/// <summary>A latent code: W+ [B, L, W] and the styles that draw it (one [B, C_k] per S layer).</summary>
public sealed record LatentCode(Tensor WPlus, Tensor[] Styles) : IDisposable
{
    public void Dispose()
    {
        WPlus.Dispose();
        foreach (var s in Styles)
            s.Dispose();
    }
}

/// <summary>Images with the latent code that drew them.</summary>
public sealed record EditImages(Tensor Images, LatentCode Code, int ChannelsManipulated = -1) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Code.Dispose();
    }
}

/// <summary>
/// Inversion (CSLA's CLIP encoder, optionally refined by optimisation) and text-driven editing by global directions,
/// DeltaEdit, CSLA or latent optimisation, on one model set. Every method edits a <see cref="LatentCode"/>; an image
/// goes through <see cref="Invert"/> first.
/// </summary>
public sealed class EditPipeline : IDisposable
{
    private readonly bool ownsModels;
    private readonly Dictionary<string, Tensor> templateFeatures = new(StringComparer.Ordinal);
    private const int MaxCachedPhrases = 1024;

    public EditPipeline(ClipModel clip, ClipTokenizer tokenizer, Generator generator, CslaModel? csla, GlobalDirections? directions,
        DeltaMapper? deltaMapper, bool ownsModels = false)
    {
        Clip = clip;
        Tokenizer = tokenizer;
        Generator = generator;
        Csla = csla;
        Directions = directions;
        DeltaMapper = deltaMapper;
        ImageTransform = new ClipImageTransform(clip.Config.ImageResolution, ClipResizeMode.Area, ClipInputNormalization.MeanStd);
        this.ownsModels = ownsModels;
    }

    public ClipModel Clip { get; }
    public ClipTokenizer Tokenizer { get; }
    public Generator Generator { get; }
    public CslaModel? Csla { get; }
    public GlobalDirections? Directions { get; }
    public DeltaMapper? DeltaMapper { get; }

    /// <summary>How images enter CLIP here (the Shapes CLIP's own preprocessing; StyleCLIP's pool path for the FFHQ set).</summary>
    public ClipImageTransform ImageTransform { get; init; }

    /// <summary>
    /// The first W+ layer of the generator's colour layers, where its file records one (a generator trained with
    /// <c>stylegan2-distill --colour-mixing</c>: those layers carry the colour and little else); else null.
    /// </summary>
    public int? ColourLayer { get; init; }

    /// <summary>α when a request names none: CSLA's is the CSLA file's edit strength, the others' <see cref="EditRequest.DefaultStrength"/>.</summary>
    public double DefaultStrength(EditMethod method) =>
        method == EditMethod.Csla && Csla is not null ? Csla.Config.EditStrength : EditRequest.DefaultStrength(method);

    /// <summary>The α an edit of <paramref name="request"/> uses.</summary>
    public double StrengthOf(EditRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Strength ?? DefaultStrength(request.Method);
    }

    public static EditPipeline Open(ModelSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var clip = set.LoadClip();
        var generator = set.LoadGenerator();
        var csla = set.Has(ModelSet.CslaFile) ? CslaModel.FromFile(set.PathOf(ModelSet.CslaFile), generator) : null;
        GlobalDirections? directions = null;
        if (set.Has(ModelSet.DirectionsFile))
        {
            using var d = StyleBridge.Torch.Serialization.SafeTensors.Load(set.PathOf(ModelSet.DirectionsFile));
            directions = new GlobalDirections(d["fs3"], d["sigma"], d.TryGetValue("mu", out var mu) ? mu : null);
        }
        var delta = set.Has(ModelSet.DeltaEditFile) ? DeltaMapper.FromFile(set.PathOf(ModelSet.DeltaEditFile), generator.StyleSpace.TotalDimWithoutToRgb) : null;
        return new EditPipeline(clip, set.LoadTokenizer(), generator, csla, directions, delta, ownsModels: true) { ColourLayer = ColourLayerOf(set, generator) };
    }

    /// <summary>The colour layer <paramref name="set"/>'s generator file records (<see cref="ModelSet.GeneratorColourLayer"/>), checked against <paramref name="generator"/>.</summary>
    public static int? ColourLayerOf(ModelSet set, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(generator);
        int? colourLayer = set.GeneratorColourLayer();
        if (colourLayer is { } k && (k < 1 || k >= generator.NLatent))
            throw new ModelSetException($"{ModelSet.GeneratorFile}: its colour layer {k} lies outside [1, {generator.NLatent - 1}]");
        return colourLayer;
    }

    /// <summary>Images [B, 3, H, W] in [−1, 1] at the generator's resolution (checked before any model runs).</summary>
    private void CheckImages(Tensor images)
    {
        int size = Generator.Config.Size;
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != size || images.shape[3] != size)
            throw new ArgumentException($"images must be [B, 3, {size}, {size}], got {TensorBytes.Format(images.shape)}");
        if (images.shape[0] == 0)
            throw new ArgumentException("the image batch is empty");
        if (!images.dtype.IsFloatingPoint())
            throw new ArgumentException($"images must be floating point, got {images.dtype}");
    }

    /// <summary>
    /// CSLA inversion: Δf = normalize(E_I(x)) − c_img, w = w_avg + M_w(Δf), s = ASM(s_avg, H(Δw), Δw); then, with
    /// <paramref name="refineSteps"/> &gt; 0, Adam on W+ (or on the one w of W, <paramref name="refineSpace"/>) from w
    /// (pixel MSE + CLIP image-similarity loss, StyleCLIP's lr ramps), after which the styles are those of the refined
    /// latent. Checks cancellation between steps.
    /// </summary>
    public EditImages Invert(Tensor images, int refineSteps = 0, double refineLearningRate = 0.05, RefineSpace refineSpace = RefineSpace.WPlus,
        CancellationToken cancellation = default)
    {
        CheckImages(images);
        if (Csla is null)
            throw new ArgumentException("inversion needs the CSLA mappers (csla.safetensors) in the model set");
        if (refineSteps is < 0 or > EditRequest.MaxOptimizationSteps)
            throw new ArgumentException($"refine steps: must lie in [0, {EditRequest.MaxOptimizationSteps}], got {refineSteps}");
        using var scope = NewDisposeScope();
        Tensor features, wplus;
        Tensor[] styles;
        using (no_grad())
        {
            features = Clip.EncodeImage(ImageTransform.Apply(images));
            var deltaF = Csla.PrepareEmbedding(features).sub(Csla.ImageCentre);
            var wBase = Csla.WAvg.unsqueeze(0).expand(images.shape[0], -1);
            var (w, s) = Csla.Apply(deltaF, wBase);
            wplus = Generator.Broadcast(w);
            styles = Csla.Config.Output == CslaOutput.W ? Generator.Styles(wplus) : s;
        }

        if (refineSteps > 0)
        {
            wplus = Refine(images, features, wplus, refineSteps, refineLearningRate, refineSpace, cancellation);
            using (no_grad())
                styles = Generator.Styles(wplus);
        }

        Tensor reconstruction;
        using (no_grad())
            reconstruction = Generator.SynthesizeFromStyles(styles, SynthesisOptions.Default);
        return Detach(reconstruction, wplus, styles);
    }

    /// <summary>Adam on the latent of <paramref name="space"/> from <paramref name="start"/> [N, L, D]; returns the refined W+.</summary>
    private Tensor Refine(Tensor images, Tensor targetFeatures, Tensor start, int steps, double lr, RefineSpace space, CancellationToken cancellation)
    {
        // the encoder's W+ repeats one w, so its first layer is W's starting point
        var latent = new TorchSharp.Modules.Parameter((space == RefineSpace.W ? start.select(1, 0) : start).detach().clone(), requires_grad: true);
        var target = ClipModel.Normalize(targetFeatures).detach();
        using var adam = optim.Adam([latent], lr);
        for (int i = 0; i < steps; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var group in adam.ParamGroups)
                group.LearningRate = LatentOptimizer.LearningRate(i + 1, steps + 1, lr);
            using var scope = NewDisposeScope();
            var image = Generator.Synthesize(latent, SynthesisOptions.Default);
            var pixel = F.mse_loss(image, images);
            var cos = ClipModel.Normalize(Clip.EncodeImage(ImageTransform.Apply(image))).mul(target).sum(1).mean();
            var loss = pixel.add(cos.neg().add(1).mul(0.5));
            adam.zero_grad();
            loss.backward();
            adam.step();
        }
        var result = space == RefineSpace.W ? Generator.Broadcast(latent.detach()) : latent.detach().clone();
        latent.Dispose();
        return result;
    }

    /// <summary>The code of a W+ (its own styles).</summary>
    public LatentCode CodeOf(Tensor wplus)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var styles = Generator.Styles(wplus);
        return new LatentCode(wplus.clone().DetachFromDisposeScope(), [.. styles.Select(s => s.DetachFromDisposeScope())]);
    }

    /// <summary>Edits <paramref name="source"/> from the request's source text to its target text.</summary>
    public EditImages Edit(LatentCode source, EditRequest request, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        request = Resolved(request);
        double alpha = StrengthOf(request);
        using var scope = NewDisposeScope();
        var space = Generator.StyleSpace;
        switch (request.Method)
        {
            case EditMethod.Global:
            {
                var directions = Directions ?? throw new ArgumentException("method global: the model set has no directions (directions.safetensors)");
                Tensor dt;
                using (no_grad())
                {
                    var raw = TemplateAverage(request.Target).sub(TemplateAverage(request.Source));
                    dt = raw.div(raw.norm().clamp_min(1e-12));
                }
                using var direction = directions.Direction(dt, request.Disentanglement);
                var conv = space.Concat(source.Styles, includeToRgb: false).add(direction.Delta(alpha).unsqueeze(0));
                return Render(source, request.FirstLayer, source.WPlus, WithConv(source.Styles, conv), direction.Channels);
            }
            case EditMethod.DeltaEdit:
            {
                var mapper = DeltaMapper ?? throw new ArgumentException("method deltaedit: the model set has no DeltaEdit mapper (deltaedit.safetensors)");
                var fs3 = Directions?.Fs3 ?? throw new ArgumentException("method deltaedit: the relevance matrix fs3 (directions.safetensors) is needed for its channel mask");
                using var mode = no_grad();
                var image = Generator.SynthesizeFromStyles(source.Styles, SynthesisOptions.Default);
                var features = Clip.EncodeImage(ImageTransform.Apply(image));
                var conv = space.Concat(source.Styles, includeToRgb: false);
                using var edit = DeltaEditing.Edit(mapper, fs3, conv, features, TemplateAverage(request.Target).sub(TemplateAverage(request.Source)),
                    DeltaEditing.DefaultThreshold, alpha);
                int kept = (int)edit.Mask.logical_not().sum().item<long>();
                return Render(source, request.FirstLayer, source.WPlus, WithConv(source.Styles, edit.EditedStyles), kept);
            }
            case EditMethod.Csla:
            {
                var csla = Csla ?? throw new ArgumentException("method csla: the model set has no CSLA mappers (csla.safetensors)");
                using var mode = no_grad();
                var t = Clip.EncodeText(ClipTokenIds.FromTexts(Tokenizer, [request.Target, request.Source]));
                var prepared = csla.PrepareEmbedding(t);
                Tensor direction;
                if (request.CslaDirection == CslaDirection.MappedDifference)
                {
                    var mapped = csla.DeltaW(prepared);
                    direction = mapped.narrow(0, 0, 1).sub(mapped.narrow(0, 1, 1));
                }
                else
                {
                    direction = csla.DeltaW(prepared.narrow(0, 0, 1).sub(prepared.narrow(0, 1, 1)));
                }
                var dw = direction.expand(source.WPlus.shape[0], -1);
                var wplus = source.WPlus.add(dw.mul(alpha).unsqueeze(1));
                var styles = csla.Config.Output == CslaOutput.W ? Generator.Styles(wplus) : csla.Styles(source.Styles, dw, alpha);
                return Render(source, request.FirstLayer, wplus, styles);
            }
            default:
            {
                Tensor text;
                using (no_grad())
                    text = Clip.EncodeText(ClipTokenIds.FromTexts(Tokenizer, [request.Target]));
                var wplus = LatentOptimizer.Run(Generator, Clip, text, source.WPlus, new LatentOptimizationOptions(request.Steps, 0.1 * alpha, FirstLayer: request.FirstLayer),
                    ImageTransform, cancellation: cancellation);
                using var mode = no_grad();
                return Render(source, request.FirstLayer, wplus, Generator.Styles(wplus));
            }
        }
    }

    /// <summary>
    /// t(X) over the 79 templates (79 text-encoder passes), remembered per phrase: a service sees the same source and
    /// target texts again and again. The cached tensors belong to the pipeline; callers get views.
    /// </summary>
    public Tensor TemplateAverage(string phrase)
    {
        lock (templateFeatures)
        {
            if (!templateFeatures.TryGetValue(phrase, out var t))
            {
                if (templateFeatures.Count >= MaxCachedPhrases)
                {
                    foreach (var old in templateFeatures.Values)
                        old.Dispose();
                    templateFeatures.Clear();
                }
                using (no_grad())
                    t = PromptTemplates.Average(Clip, Tokenizer, [phrase])[0].clone().DetachFromDisposeScope();
                templateFeatures[phrase] = t;
            }
            return t.alias();
        }
    }

    private Tensor[] WithConv(Tensor[] styles, Tensor conv)
    {
        var space = Generator.StyleSpace;
        var result = styles.ToArray();
        var parts = space.Split(conv, includeToRgb: false);
        for (int i = 0; i < space.ConvLayers.Count; i++)
            result[space.ConvLayers[i].Index] = parts[i];
        return result;
    }

    /// <summary>
    /// Refuses a <see cref="EditRequest.FirstLayer"/> beyond this generator's W+, or <see cref="EditRequest.ColourLayers"/>
    /// on a generator that records no colour layer (before any tensor work).
    /// </summary>
    public void CheckFirstLayer(EditRequest request) => Resolved(request);

    /// <summary>The request with <see cref="EditRequest.ColourLayers"/> turned into its first layer, checked against this generator.</summary>
    public EditRequest Resolved(EditRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ColourLayers)
        {
            if (ColourLayer is not { } colour)
                throw new ArgumentException("colour_layers: this generator records no colour layer (a generator trained with stylegan2-distill --colour-mixing does)");
            request = request with { FirstLayer = colour, ColourLayers = false };
        }
        if (request.FirstLayer >= Generator.NLatent)
            throw new ArgumentException($"first_layer: must lie in [0, {Generator.NLatent - 1}] for this generator's {Generator.NLatent} W+ layers, got {request.FirstLayer}");
        return request;
    }

    /// <summary>
    /// The edit's image, with W+ rows before <paramref name="firstLayer"/> and the styles they feed kept from
    /// <paramref name="source"/>; a channel count (global, DeltaEdit) then counts only the conv channels still moved.
    /// </summary>
    private EditImages Render(LatentCode source, int firstLayer, Tensor wplus, Tensor[] styles, int channels = -1)
    {
        if (firstLayer > 0)
        {
            var layers = Generator.StyleSpace.Layers;
            styles = [.. styles.Select((s, k) => layers[k].WIndex >= firstLayer ? s : source.Styles[k].expand_as(s))];
            var rows = arange(Generator.NLatent, device: wplus.device).ge(firstLayer).view(1, -1, 1);
            wplus = where(rows, wplus, source.WPlus.expand_as(wplus));
            if (channels >= 0)
                channels = (int)layers.Where(l => !l.IsToRgb && l.WIndex >= firstLayer)
                    .Sum(l => styles[l.Index].ne(source.Styles[l.Index]).any(0).sum().item<long>());
        }
        return Render(wplus, styles, channels);
    }

    private EditImages Render(Tensor wplus, Tensor[] styles, int channels = -1)
    {
        Tensor images;
        using (no_grad())
            images = Generator.SynthesizeFromStyles(styles, SynthesisOptions.Default);
        return Detach(images, wplus, styles, channels);
    }

    private static EditImages Detach(Tensor images, Tensor wplus, Tensor[] styles, int channels = -1) =>
        new(images.detach().clone().DetachFromDisposeScope(),
            new LatentCode(wplus.detach().clone().DetachFromDisposeScope(), [.. styles.Select(s => s.detach().clone().DetachFromDisposeScope())]),
            channels);

    public void Dispose()
    {
        lock (templateFeatures)
        {
            foreach (var t in templateFeatures.Values)
                t.Dispose();
            templateFeatures.Clear();
        }
        if (!ownsModels)
            return;
        Clip.Dispose();
        Generator.Dispose();
        Csla?.Dispose();
        Directions?.Dispose();
        DeltaMapper?.Dispose();
    }
}
