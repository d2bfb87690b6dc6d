using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Models.Csla;

/// <summary>
/// CSLA's CLIP→W mapper M_w: <c>MapperDepth</c> linear layers (E → W, then W → W), LeakyReLU(0.2) between them and
/// none after the last, which starts at zero so that Δw = 0 (the centre) before training.
/// </summary>
public sealed class CslaMapper : TorchModule
{
    public CslaMapper(int embedDim, int wDim, int depth) : base(nameof(CslaMapper))
    {
        Layers = RegisterModule("layers", new ModuleList<Linear>(
            Enumerable.Range(0, depth).Select(i => nn.Linear(i == 0 ? embedDim : wDim, wDim))));
        using (no_grad())
        {
            Layers[^1].weight!.zero_();
            Layers[^1].bias!.zero_();
        }
    }

    public ModuleList<Linear> Layers { get; }

    public Tensor Forward(Tensor deltaF)
    {
        using var scope = NewDisposeScope();
        var x = deltaF;
        for (int i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].forward(x);
            if (i < Layers.Count - 1)
                x = F.leaky_relu(x, 0.2);
        }
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Adaptive Style Mixing: an MLP on Δw (W → W, LeakyReLU 0.2, W → layers) whose last layer starts at zero, giving
/// per-layer signals that refine Δs (<see cref="AsmKind"/>).
/// </summary>
public sealed class AdaptiveStyleMixing : TorchModule
{
    public AdaptiveStyleMixing(int wDim, int layers) : base(nameof(AdaptiveStyleMixing))
    {
        Hidden = RegisterModule("hidden", nn.Linear(wDim, wDim));
        Out = RegisterModule("out", nn.Linear(wDim, layers));
        using (no_grad())
        {
            Out.weight!.zero_();
            Out.bias!.zero_();
        }
    }

    public Linear Hidden { get; }
    public Linear Out { get; }

    /// <summary>The raw per-layer signals g [B, layers].</summary>
    public Tensor Forward(Tensor deltaW)
    {
        using var scope = NewDisposeScope();
        return Out.forward(F.leaky_relu(Hidden.forward(deltaW), 0.2)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// CSLA (Zheng et al. 2022, csla.md): CLIP residuals Δf map to Δw (<see cref="Mapper"/>), Δw maps to per-layer Δs
/// (<see cref="Heads"/>, initialised from the generator's affines so the S branch starts equal to the W branch), and
/// Adaptive Style Mixing refines the result around the latent base. Buffers: <c>w_avg</c> (the latent centre),
/// <c>c_img</c> (the image-embedding centre, for inversion), <c>s_std</c> (per-channel spread of S, the loss scale).
/// The frozen affines A_k come from the generator at load, never from the file.
/// </summary>
public sealed class CslaModel : TorchModule
{
    private readonly Generator generator;
    private readonly StyleLayer[] headLayers;

    public CslaModel(CslaConfig config, Generator generator) : base(nameof(CslaModel))
    {
        ArgumentNullException.ThrowIfNull(generator);
        Config = config;
        this.generator = generator;
        if (generator.Config.StyleDim != config.WDim)
            throw new ArgumentException($"CSLA maps to w of width {config.WDim}, the generator's w has {generator.Config.StyleDim}");
        var space = generator.StyleSpace;
        headLayers = [.. space.Layers.Where(l => config.HeadsOnToRgb || !l.IsToRgb)];

        Mapper = RegisterModule("mapper", new CslaMapper(config.EmbedDim, config.WDim, config.MapperDepth));
        Heads = RegisterModule("heads", new ModuleList<Linear>(headLayers.Select(l => nn.Linear(config.WDim, l.Channels))));
        using (no_grad())
        {
            for (int i = 0; i < headLayers.Length; i++)
            {
                var (weight, _) = Affine(headLayers[i]);
                Heads[i].weight!.copy_(weight);
                Heads[i].bias!.zero_();
                weight.Dispose();
            }
        }
        if (config.Asm != AsmKind.None)
            AsmModule = RegisterModule("asm", new AdaptiveStyleMixing(config.WDim, space.Count));
        RegisterBuffer("w_avg", zeros(config.WDim));
        RegisterBuffer("c_img", zeros(config.EmbedDim));
        RegisterBuffer("s_std", ones(space.TotalDim));
        if (config.TextCentreSource is not null)
            RegisterBuffer("c_txt", zeros(config.EmbedDim));
        if (config.TextMapSource is not null)
            RegisterBuffer("t_map", eye(config.EmbedDim));
        if (config.TextBankSource is not null)
        {
            if (config.TextBankTopK < 1 || config.TextBankSize < config.TextBankTopK)
                throw new ArgumentException($"an image bank needs 1 ≤ top-k ≤ its size, got top-k {config.TextBankTopK} of {config.TextBankSize}");
            RegisterBuffer("f_bank", zeros(config.TextBankSize, config.EmbedDim));
        }
    }

    public CslaConfig Config { get; }
    public CslaMapper Mapper { get; }
    public ModuleList<Linear> Heads { get; }
    public AdaptiveStyleMixing? AsmModule { get; }
    public Generator Generator => generator;
    public Tensor WAvg => Buffer("w_avg");
    public Tensor ImageCentre => Buffer("c_img");
    public Tensor StyleStd => Buffer("s_std");

    /// <summary>The neutral prompt: the text centre of generation where the file has no calibrated one.</summary>
    public string NeutralPrompt => Config.NeutralPrompt;

    /// <summary>
    /// The calibrated text centre c_txt (as <see cref="PrepareEmbedding"/> leaves embeddings), the mean of the
    /// embeddings of the prompts <see cref="CslaConfig.TextCentreSource"/> names; null where the file has none.
    /// </summary>
    public Tensor? TextCentre => TryBuffer("c_txt");

    /// <summary>
    /// The text map T [D, D] (symmetric) that carries text residuals from c_txt to image residuals from c_img, the
    /// Gaussian optimal-transport map between the two residual distributions (<see cref="CslaConfig.TextMapSource"/>
    /// names their samples); null where the file has none, and then text residuals enter the mapper as they are.
    /// </summary>
    public Tensor? TextMap => TryBuffer("t_map");

    /// <summary>
    /// The image bank [N, D]: raw CLIP image embeddings of generator samples (<see cref="CslaConfig.TextBankSource"/>);
    /// null where the file has none. Text to image's calibrated path then stands a prompt in by its
    /// <see cref="TextPrototype"/> instead of the text residual.
    /// </summary>
    public Tensor? TextBank => TryBuffer("f_bank");

    /// <summary>
    /// A prompt's image-space prototype [B, D]: the mean raw embedding of the <see cref="CslaConfig.TextBankTopK"/> bank
    /// images nearest to each text embedding of <paramref name="text"/> [B, D] by cosine. CLIP's shared space picks the
    /// images; the mapper then sees a residual between two image embeddings, the kind it was trained on.
    /// </summary>
    public Tensor TextPrototype(Tensor text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bank = TextBank ?? throw new InvalidOperationException("this CSLA file has no image bank (train csla-text-centre --text-bank-samples)");
        if (text.ndim != 2 || text.shape[1] != Config.EmbedDim)
            throw new ArgumentException($"text embeddings must be [B, {Config.EmbedDim}], got {TensorBytes.Format(text.shape)}", nameof(text));
        using var scope = NewDisposeScope();
        var t = text.to(bank.dtype);
        var similarity = t.div(t.norm(1, true).clamp_min(1e-8)).matmul(bank.div(bank.norm(1, true).clamp_min(1e-8)).T);
        var (_, nearest) = similarity.topk(Config.TextBankTopK, 1);
        return bank.index_select(0, nearest.flatten()).reshape(t.shape[0], Config.TextBankTopK, Config.EmbedDim).mean([1])
            .MoveToOuterDisposeScope();
    }

    /// <summary>Δf for text to image from the image bank: prototype(t) − f_base, both prepared as configured.</summary>
    public Tensor DeltaFFromBank(Tensor text, Tensor baseEmbedding)
    {
        ArgumentNullException.ThrowIfNull(baseEmbedding);
        using var scope = NewDisposeScope();
        return PrepareEmbedding(TextPrototype(text)).sub(PrepareEmbedding(baseEmbedding.to(ScalarType.Float32))).MoveToOuterDisposeScope();
    }

    /// <summary>A layer's effective affine (equalised-lr scale applied): weight [C, W] and bias [C] (caller owns them).</summary>
    public (Tensor Weight, Tensor Bias) Affine(StyleLayer layer)
    {
        var modulation = generator.StyleModule(layer.Index).Modulation;
        return (modulation.Weight.detach().mul(modulation.Scale), modulation.Bias.detach().mul(modulation.LrMul));
    }

    /// <summary>Embeddings as the mapper sees them: L2-normalised when the config says so.</summary>
    public Tensor PrepareEmbedding(Tensor f) =>
        Config.NormalizeEmbeddings ? f.div(f.norm(1, true).clamp_min(1e-8)) : f.alias();

    /// <summary>Δw = M_w(Δf).</summary>
    public Tensor DeltaW(Tensor deltaF) => Mapper.Forward(deltaF);

    /// <summary>
    /// s' per layer: s_base + (ASM-refined) Δs, with Δs = <paramref name="strength"/>·H(Δw) on the headed layers and
    /// strength·A·Δw (the W branch) on layers without a head.
    /// </summary>
    public Tensor[] Styles(IReadOnlyList<Tensor> sBase, Tensor deltaW, double strength = 1.0)
    {
        var space = generator.StyleSpace;
        using var scope = NewDisposeScope();
        var gates = AsmModule?.Forward(deltaW);
        var result = new Tensor[space.Count];
        int head = 0;
        foreach (var layer in space.Layers)
        {
            var (weight, _) = Affine(layer);
            var viaW = deltaW.matmul(weight.t());
            Tensor delta;
            if (head < headLayers.Length && headLayers[head].Index == layer.Index)
            {
                var ds = Heads[head].forward(deltaW);
                head++;
                delta = Config.Asm switch
                {
                    AsmKind.Gate => ds.mul(gates![TensorIndex.Colon, TensorIndex.Slice(layer.Index, layer.Index + 1)].sigmoid().mul(2)),
                    AsmKind.Mix => MixWith(ds, viaW, gates![TensorIndex.Colon, TensorIndex.Slice(layer.Index, layer.Index + 1)]),
                    _ => ds,
                };
            }
            else
            {
                delta = viaW;
            }
            result[layer.Index] = sBase[layer.Index].add(delta.mul(strength)).MoveToOuterDisposeScope();
        }
        return result;
    }

    private static Tensor MixWith(Tensor ds, Tensor viaW, Tensor g)
    {
        var alpha = g.sigmoid();
        return alpha.mul(ds).add(alpha.neg().add(1).mul(viaW));
    }

    /// <summary>The result of mapping Δf around a latent base: w' [B, W] and s' per layer.</summary>
    public (Tensor W, Tensor[] Styles) Apply(Tensor deltaF, Tensor wBase, double strength = 1.0)
    {
        using var scope = NewDisposeScope();
        var dw = DeltaW(deltaF);
        var sBase = generator.Styles(wBase);
        var styles = Styles(sBase, dw, strength);
        var w = wBase.add(dw.mul(strength));
        foreach (var s in styles)
            s.MoveToOuterDisposeScope();
        return (w.MoveToOuterDisposeScope(), styles);
    }

    /// <summary>
    /// Text to latents for each candidate: the text residual from a text centre stands in for an image residual from
    /// the image centre, and the candidate's random base contributes its own residual with the opposite sign, so
    /// Δf = (t − centre) − (f_base − c_img) moves the base to the prompt (all embeddings prepared as configured).
    /// <paramref name="centre"/> is a point of the mapper's input space (<see cref="TextCentre"/>, or a prepared
    /// neutral prompt); null takes the text from the image centre c_img (csla.md §3.4's alternative), so that with a
    /// base Δf = t − f_base. Without a base image embedding (<paramref name="baseEmbedding"/> null) the base is w_avg.
    /// A <paramref name="textMap"/> (<see cref="TextMap"/>) carries the text residual into the image residuals' space first.
    /// </summary>
    public Tensor DeltaFForText(Tensor text, Tensor? centre, Tensor? baseEmbedding, Tensor? textMap = null)
    {
        using var scope = NewDisposeScope();
        var d = PrepareEmbedding(text).sub(centre ?? ImageCentre);
        if (textMap is not null)
            d = d.matmul(textMap.to(d.dtype));
        if (baseEmbedding is not null)
            d = d.sub(PrepareEmbedding(baseEmbedding).sub(ImageCentre));
        return d.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A copy of this model with a calibrated text centre: <paramref name="centre"/> [D] (the mean of prepared prompt
    /// embeddings), described by <paramref name="source"/>, and text to image's default α <paramref name="textStrength"/>;
    /// with a <paramref name="textMap"/> [D, D] described by <paramref name="textMapSource"/>, or none.
    /// </summary>
    public CslaModel WithTextCentre(Tensor centre, string source, double textStrength, Tensor? textMap = null, string? textMapSource = null)
    {
        ArgumentNullException.ThrowIfNull(centre);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        if (centre.ndim != 1 || centre.shape[0] != Config.EmbedDim)
            throw new ArgumentException($"the text centre must be [{Config.EmbedDim}], got {TensorBytes.Format(centre.shape)}", nameof(centre));
        if (!CslaConfig.IsValidTextStrength(textStrength))
            throw new ArgumentOutOfRangeException(nameof(textStrength), textStrength, $"the text strength must lie in (0, {CslaConfig.MaxTextStrength}]");
        if (textMap is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(textMapSource);
            if (textMap.ndim != 2 || textMap.shape[0] != Config.EmbedDim || textMap.shape[1] != Config.EmbedDim)
                throw new ArgumentException($"the text map must be [{Config.EmbedDim}, {Config.EmbedDim}], got {TensorBytes.Format(textMap.shape)}", nameof(textMap));
        }
        // no dispose scope here: the new model's modules must not be created inside one
        using var centre32 = centre.to(ScalarType.Float32);
        using var map32 = textMap?.to(ScalarType.Float32);
        var state = StateWithout("c_txt", "t_map");
        state["c_txt"] = centre32;
        if (map32 is not null)
            state["t_map"] = map32;
        return Loaded(Config with { TextCentreSource = source, TextStrength = textStrength, TextMapSource = map32 is null ? null : textMapSource },
            generator, state);
    }

    /// <summary>
    /// A copy of this model with the image bank <paramref name="bank"/> [N, D] (raw image embeddings) described by
    /// <paramref name="source"/>, prototypes averaging the <paramref name="topK"/> nearest; a null bank removes it.
    /// </summary>
    public CslaModel WithTextBank(Tensor? bank, string? source = null, int topK = 8)
    {
        if (bank is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(source);
            if (bank.ndim != 2 || bank.shape[1] != Config.EmbedDim || bank.shape[0] < 1)
                throw new ArgumentException($"the image bank must be [N, {Config.EmbedDim}], got {TensorBytes.Format(bank.shape)}", nameof(bank));
            if (topK < 1 || topK > bank.shape[0])
                throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must lie in [1, {bank.shape[0]}]");
        }
        // no dispose scope here: the new model's modules must not be created inside one
        using var bank32 = bank?.to(ScalarType.Float32);
        var state = StateWithout("f_bank");
        if (bank32 is not null)
            state["f_bank"] = bank32;
        var config = bank32 is null
            ? Config with { TextBankSource = null, TextBankSize = 0, TextBankTopK = 8 }
            : Config with { TextBankSource = source, TextBankSize = (int)bank32.shape[0], TextBankTopK = topK };
        return Loaded(config, generator, state);
    }

    /// <summary>A copy of this model whose editing default α is <paramref name="editStrength"/>, in (0, 50].</summary>
    public CslaModel WithEditStrength(double editStrength)
    {
        if (!CslaConfig.IsValidEditStrength(editStrength))
            throw new ArgumentOutOfRangeException(nameof(editStrength), editStrength, $"the edit strength must lie in (0, {CslaConfig.MaxEditStrength}]");
        return Loaded(Config with { EditStrength = editStrength }, generator, StateWithout());
    }

    public static CslaModel FromFile(string path, Generator generator)
    {
        using var state = SafeTensors.Load(path);
        if (!state.Metadata.TryGetValue(CslaConfig.MetadataKey, out string? json))
            throw new WeightFormatException(path, $"no '{CslaConfig.MetadataKey}' metadata: not a CSLA file written by stylebridge train csla");
        var config = CslaConfig.FromJson(json);
        if (!CslaConfig.IsValidTextStrength(config.TextStrength))
            throw new WeightFormatException(path, $"text strength {config.TextStrength} outside (0, {CslaConfig.MaxTextStrength}]");
        if (!CslaConfig.IsValidEditStrength(config.EditStrength))
            throw new WeightFormatException(path, $"edit strength {config.EditStrength} outside (0, {CslaConfig.MaxEditStrength}]");
        return Loaded(config, generator, state);
    }

    /// <summary>This model's state, less <paramref name="keys"/>: what a copy with other calibration starts from.</summary>
    private Dictionary<string, Tensor> StateWithout(params string[] keys) =>
        StateDicts.Of(this).Where(kv => !keys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>A frozen model of <paramref name="config"/> holding <paramref name="state"/> (every key, nothing else).</summary>
    private static CslaModel Loaded(CslaConfig config, Generator generator, IReadOnlyDictionary<string, Tensor> state)
    {
        var model = new CslaModel(config, generator);
        try
        {
            StateDicts.LoadInto(model, state);
            model.Freeze();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Save(string path) => SafeTensors.Save(path, StateDicts.Of(this), new Dictionary<string, string>
    {
        [CslaConfig.MetadataKey] = Config.ToJson(),
    });
}
