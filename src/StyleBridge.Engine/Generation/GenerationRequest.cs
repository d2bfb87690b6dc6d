namespace StyleBridge.Engine.Generation;

/// <summary>How a prompt becomes latents.</summary>
public enum GenerationMethod
{
    /// <summary>The clip2latent diffusion prior.</summary>
    Prior,

    /// <summary>The CSLA mappers (CLIP residual → Δw/Δs around the manipulation centres).</summary>
    Csla,
}

/// <summary>Which CLIP point a CSLA prompt is taken relative to (csla.md §3.4).</summary>
public enum CslaTextCentre
{
    /// <summary>
    /// The mappers' text centre: the calibrated c_txt where the file has one, else the neutral prompt's embedding; a
    /// residual of the same modality (the default). A file with an image bank takes the prompt's image prototype instead.
    /// </summary>
    Neutral,

    /// <summary>The neutral prompt's own embedding (csla.md §3.4's "a person"), even where the file has a calibrated centre.</summary>
    Prompt,

    /// <summary>The training image centre, as the paper's diagram routes E_T into feat_CLIP (the alternative §3.4 asks to measure).</summary>
    Image,
}

/// <summary>
/// One text-to-image request: <see cref="NumImages"/> output images, each the best of <see cref="NumCandidates"/>
/// candidates by CLIP score. Image i draws all its randomness from its own generator seeded by
/// <see cref="ImageSeeds.For"/>(<see cref="Seed"/>, i), so it does not depend on what else shares its batch.
/// </summary>
public sealed record GenerationRequest
{
    public const int MaxImages = 16;
    public const int MaxCandidates = 16;
    public const int MaxPromptLength = 1000;

    /// <summary>The largest ψ (prior) or α (CSLA) a request may ask for; the smallest is 0.</summary>
    public const double MaxTruncation = 2;

    /// <summary>Whether <paramref name="truncation"/> is a ψ or α a request may carry: finite, in [0, <see cref="MaxTruncation"/>].</summary>
    public static bool IsValidTruncation(double truncation) => double.IsFinite(truncation) && truncation is >= 0 and <= MaxTruncation;

    public required string Prompt { get; init; }
    public GenerationMethod Method { get; init; } = GenerationMethod.Prior;
    public int NumImages { get; init; } = 1;
    public int NumCandidates { get; init; } = 16;
    public long Seed { get; init; }

    /// <summary>Classifier-free guidance scale of the prior (1: conditional pass only).</summary>
    public double GuidanceScale { get; init; } = 2.0;

    /// <summary>Prior sampling steps; the skip is T / steps and must be a whole number.</summary>
    public int Steps { get; init; } = 4;

    /// <summary>
    /// ψ: toward the prior's latent mean, or CSLA's strength α on the mapped residual; null: the method's default
    /// (ψ = 1; the CSLA file's text strength, <see cref="TextToImagePipeline.EffectiveTruncation"/>).
    /// </summary>
    public double? Truncation { get; init; }

    /// <summary>CSLA only: the centre the prompt's embedding is taken relative to.</summary>
    public CslaTextCentre CslaTextCentre { get; init; } = CslaTextCentre.Neutral;

    /// <summary>Checks the fields a caller controls; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate(int timesteps = 1000)
    {
        if (string.IsNullOrWhiteSpace(Prompt))
            throw new ArgumentException("prompt: must not be empty");
        if (Prompt.Length > MaxPromptLength)
            throw new ArgumentException($"prompt: at most {MaxPromptLength} characters, got {Prompt.Length}");
        if (NumImages is < 1 or > MaxImages)
            throw new ArgumentException($"num_images: must lie in [1, {MaxImages}], got {NumImages}");
        if (NumCandidates is < 1 or > MaxCandidates)
            throw new ArgumentException($"num_candidates: must lie in [1, {MaxCandidates}], got {NumCandidates}");
        if (!double.IsFinite(GuidanceScale) || GuidanceScale is < 0 or > 20)
            throw new ArgumentException($"guidance_scale: must lie in [0, 20], got {GuidanceScale}");
        if (Steps < 1 || Steps > timesteps || timesteps % Steps != 0)
            throw new ArgumentException($"steps: must divide {timesteps} (1, 2, 4, 5, 8, 10, 20, 25, ...), got {Steps}");
        if (Truncation is { } t && !IsValidTruncation(t))
            throw new ArgumentException($"truncation: must lie in [0, {MaxTruncation}], got {Truncation}");
    }
}

/// <summary>Per-image seeds: a SplitMix64 mix of the request seed and the image index.</summary>
public static class ImageSeeds
{
    public static ulong For(long requestSeed, int index)
    {
        ulong x = unchecked((ulong)requestSeed * 0x9E37_79B9_7F4A_7C15UL + (ulong)index + 0x632B_E59B_D9B4_E019UL);
        x = unchecked((x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D0_49BB_1331_11EBUL);
        return (x ^ (x >> 31)) & 0x7FFF_FFFF_FFFF_FFFFUL; // torch seeds are taken as int64 by some callers
    }
}
