namespace StyleBridge.Models.Editing;

/// <summary>One DeltaEdit edit: the zeroed channels, the predicted and masked ΔS, and the edited S.</summary>
public sealed record DeltaEdit(Tensor Mask, Tensor Delta, Tensor MaskedDelta, Tensor EditedStyles) : IDisposable
{
    public void Dispose()
    {
        Mask.Dispose();
        Delta.Dispose();
        MaskedDelta.Dispose();
        EditedStyles.Dispose();
    }
}

/// <summary>
/// DeltaEdit's text-driven inference (spec §5.5): the relevance mask |fs3·Δt_raw| &lt; threshold on the
/// <em>unnormalised</em> text difference, the condition ĉ ⊕ Δt/‖Δt‖ (every row gets the direction), ΔS from the mapper,
/// masked, and s' = s + strength·ΔS (strength 1 in the reference).
/// </summary>
public static class DeltaEditing
{
    public const double DefaultThreshold = 0.03;

    /// <param name="s">Flat conv S [B, C].</param>
    /// <param name="imageFeatures">Raw CLIP image features [B, D] of the sources (normalised here).</param>
    /// <param name="dtRaw">t(target) − t(source) [D], template-averaged, not normalised.</param>
    public static DeltaEdit Edit(DeltaMapper mapper, Tensor fs3, Tensor s, Tensor imageFeatures, Tensor dtRaw,
        double threshold = DefaultThreshold, double strength = 1.0)
    {
        using var scope = NewDisposeScope();
        var mask = fs3.to(dtRaw.dtype).matmul(dtRaw).abs().lt(threshold);
        var dt = dtRaw.div(dtRaw.norm().clamp_min(1e-5));
        var cHat = imageFeatures.div(imageFeatures.norm(1, true));
        var condition = cat([cHat, dt.unsqueeze(0).expand(cHat.shape[0], -1).to(cHat.dtype)], 1);
        var delta = mapper.Forward(s, condition);
        var masked = delta.masked_fill(mask.unsqueeze(0), 0);
        var edited = s.add(masked.mul(strength));
        return new DeltaEdit(mask.DetachFromDisposeScope(), delta.DetachFromDisposeScope(), masked.DetachFromDisposeScope(), edited.DetachFromDisposeScope());
    }

    /// <summary>The training condition of a pair: ĉ_i ⊕ (ĉ_j − ĉ_i)/max(‖ĉ_j − ĉ_i‖, 1e-5).</summary>
    public static Tensor TrainingCondition(Tensor ci, Tensor cj)
    {
        using var scope = NewDisposeScope();
        var a = ci.div(ci.norm(1, true));
        var b = cj.div(cj.norm(1, true));
        var d = b.sub(a);
        return cat([a, d.div(d.norm(1, true).clamp_min(1e-5))], 1).MoveToOuterDisposeScope();
    }
}
