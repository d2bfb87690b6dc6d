using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Editing;

/// <summary>
/// The sizes of a DeltaEdit DeltaMapper. The flat conv-only S splits into coarse rows (the first three conv layers, as
/// the reference), medium rows and a flat fine part; the widths come from the weights, the medium row count from the
/// S length (<see cref="Infer"/>). The released FFHQ model: 3 × 512, 4 × 512, 2464, condition 1024.
/// </summary>
public sealed record DeltaMapperConfig(int CoarseRows, int CoarseWidth, int MediumRows, int MediumWidth, int FineWidth, int CondDim)
{
    public const int ReferenceCoarseRows = 3;

    public int CoarseSize => CoarseRows * CoarseWidth;
    public int MediumSize => MediumRows * MediumWidth;
    public int SDim => CoarseSize + MediumSize + FineWidth;

    /// <summary>The configuration the weights imply for a flat conv S of <paramref name="sDim"/> channels.</summary>
    public static DeltaMapperConfig Infer(IReadOnlyDictionary<string, Tensor> state, int sDim)
    {
        int Out(string key) => state.TryGetValue(key, out var t) ? (int)t.shape[0]
            : throw new ArgumentException($"not a DeltaMapper state dict: no '{key}'");
        int coarse = Out("sm_coarse.mapping.1.weight");
        int medium = Out("sm_medium.mapping.1.weight");
        int fine = Out("sm_fine.mapping.1.weight");
        int cond = (int)state["cm_coarse.mapping.1.weight"].shape[1];
        int rest = sDim - ReferenceCoarseRows * coarse - fine;
        if (rest <= 0 || rest % medium != 0)
            throw new ArgumentException($"a DeltaMapper with widths {coarse}/{medium}/{fine} does not fit a flat S of {sDim} channels");
        return new DeltaMapperConfig(ReferenceCoarseRows, coarse, rest / medium, medium, fine, cond);
    }
}

/// <summary>
/// DeltaEdit's <c>Mapper</c>: an optional PixelNorm (over axis 1 of the input as given: across the rows of a
/// [B, rows, C] input, per channel), then four equalised linear layers (lr_mul 0.01), each followed by
/// <c>leaky_relu(·, 0.2)·√2</c>, the last included; the bias adds along the last axis. Keys <c>mapping.{i}.*</c>.
/// </summary>
public sealed class DeltaMapperBlock : TorchModule
{
    private const double LrMul = 0.01;

    public DeltaMapperBlock(int inDim, int outDim, bool pixelNorm, int layers = 4) : base(nameof(DeltaMapperBlock))
    {
        var modules = new List<TorchModule>();
        if (pixelNorm)
            modules.Add(new PixelNorm());
        for (int i = 0; i < layers; i++)
            modules.Add(new EqualLinear(i == 0 ? inDim : outDim, outDim, lrMul: LrMul));
        Mapping = RegisterModule("mapping", new ModuleList<TorchModule>(modules));
    }

    public ModuleList<TorchModule> Mapping { get; }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        foreach (var module in Mapping)
        {
            x = module switch
            {
                PixelNorm norm => norm.Forward(x),
                EqualLinear linear => F.leaky_relu(linear.Forward(x), 0.2).mul(Math.Sqrt(2)),
                _ => throw new InvalidOperationException(),
            };
        }
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// DeltaEdit's DeltaMapper (Lyu et al. 2023): from a source style s (flat conv S) and a condition (unit CLIP image
/// feature ⊕ unit CLIP direction) it predicts ΔS per group: style modules (sm), condition modules (cm) and fusion
/// modules (fm) for the coarse, medium and fine parts, keys as the reference's state dict.
/// </summary>
public sealed class DeltaMapper : TorchModule
{
    public DeltaMapper(DeltaMapperConfig config) : base(nameof(DeltaMapper))
    {
        Config = config;
        var c = config;
        SmCoarse = RegisterModule("sm_coarse", new DeltaMapperBlock(c.CoarseWidth, c.CoarseWidth, true));
        SmMedium = RegisterModule("sm_medium", new DeltaMapperBlock(c.MediumWidth, c.MediumWidth, true));
        SmFine = RegisterModule("sm_fine", new DeltaMapperBlock(c.FineWidth, c.FineWidth, true));
        CmCoarse = RegisterModule("cm_coarse", new DeltaMapperBlock(c.CondDim, c.CoarseWidth, true));
        CmMedium = RegisterModule("cm_medium", new DeltaMapperBlock(c.CondDim, c.MediumWidth, true));
        CmFine = RegisterModule("cm_fine", new DeltaMapperBlock(c.CondDim, c.FineWidth, true));
        FmCoarse = RegisterModule("fm_coarse", new DeltaMapperBlock(2 * c.CoarseWidth, c.CoarseWidth, false));
        FmMedium = RegisterModule("fm_medium", new DeltaMapperBlock(2 * c.MediumWidth, c.MediumWidth, false));
        FmFine = RegisterModule("fm_fine", new DeltaMapperBlock(2 * c.FineWidth, c.FineWidth, false));
    }

    public DeltaMapperConfig Config { get; }
    public DeltaMapperBlock SmCoarse { get; }
    public DeltaMapperBlock SmMedium { get; }
    public DeltaMapperBlock SmFine { get; }
    public DeltaMapperBlock CmCoarse { get; }
    public DeltaMapperBlock CmMedium { get; }
    public DeltaMapperBlock CmFine { get; }
    public DeltaMapperBlock FmCoarse { get; }
    public DeltaMapperBlock FmMedium { get; }
    public DeltaMapperBlock FmFine { get; }

    /// <summary>A mapper from a weight file (a bare state dict as <c>net_face.pth</c>, or safetensors) for a flat conv S of <paramref name="sDim"/>.</summary>
    public static DeltaMapper FromFile(string path, int sDim)
    {
        using var state = WeightFiles.LoadStateDict(path);
        var mapper = new DeltaMapper(DeltaMapperConfig.Infer(state, sDim));
        try
        {
            StateDicts.LoadInto(mapper, state);
            mapper.Freeze();
            return mapper;
        }
        catch
        {
            mapper.Dispose();
            throw;
        }
    }

    /// <summary>ΔS [B, SDim] for styles <paramref name="s"/> [B, SDim] and conditions [B, CondDim].</summary>
    public Tensor Forward(Tensor s, Tensor condition)
    {
        var c = Config;
        if (s.dim() != 2 || s.shape[1] != c.SDim)
            throw new ArgumentException($"DeltaMapper expects S [B, {c.SDim}], got {TensorBytes.Format(s.shape)}", nameof(s));
        if (condition.dim() != 2 || condition.shape[1] != c.CondDim || condition.shape[0] != s.shape[0])
            throw new ArgumentException($"DeltaMapper expects a condition [{s.shape[0]}, {c.CondDim}], got {TensorBytes.Format(condition.shape)}", nameof(condition));
        using var scope = NewDisposeScope();
        long b = s.shape[0];
        var parts = s.split([c.CoarseSize, c.MediumSize, c.FineWidth], 1);
        var sc = SmCoarse.Forward(parts[0].reshape(b, c.CoarseRows, c.CoarseWidth));
        var sm = SmMedium.Forward(parts[1].reshape(b, c.MediumRows, c.MediumWidth));
        var sf = SmFine.Forward(parts[2]);
        var cc = CmCoarse.Forward(condition);
        var cm = CmMedium.Forward(condition);
        var cf = CmFine.Forward(condition);
        var coarse = FmCoarse.Forward(cat([sc, cc.unsqueeze(1).expand(b, c.CoarseRows, c.CoarseWidth)], 2)).reshape(b, c.CoarseSize);
        var medium = FmMedium.Forward(cat([sm, cm.unsqueeze(1).expand(b, c.MediumRows, c.MediumWidth)], 2)).reshape(b, c.MediumSize);
        var fine = FmFine.Forward(cat([sf, cf], 1));
        return cat([coarse, medium, fine], 1).MoveToOuterDisposeScope();
    }

    /// <summary>The training loss: λ_l2·MSE(Δŝ, Δs) + λ_cos·(1 − mean cos(Δŝ_b, Δs_b)).</summary>
    public static Tensor Loss(Tensor predicted, Tensor target, double lambdaL2 = 1, double lambdaCos = 1)
    {
        using var scope = NewDisposeScope();
        var l2 = F.mse_loss(predicted, target);
        var cos = F.cosine_similarity(predicted, target, -1, 1e-8).mean().neg().add(1);
        return l2.mul(lambdaL2).add(cos.mul(lambdaCos)).MoveToOuterDisposeScope();
    }
}
