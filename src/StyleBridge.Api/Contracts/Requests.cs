using System.ComponentModel;

namespace StyleBridge.Api.Contracts;

/// <summary>POST /generate: text → images, each the best of its candidates by CLIP score.</summary>
public sealed record GenerateBody
{
    /// <example>a blue square on the left</example>
    [Description("The text; 1–500 characters, at most 77 CLIP tokens.")]
    public string Prompt { get; init; } = "";

    [Description("Latent method: 'prior' (clip2latent diffusion prior) or 'csla' (CSLA mappers).")]
    [DefaultValue("prior")]
    public string Method { get; init; } = "prior";

    [Description("Output images, 1–8.")]
    [DefaultValue(1)]
    public int NumImages { get; init; } = 1;

    [Description("Candidates per image, re-ranked by CLIP score, 1–16 (clip2latent's clip_sort).")]
    [DefaultValue(16)]
    public int NumCandidates { get; init; } = 16;

    [Description("Classifier-free guidance of the prior (clip2latent cond_scale), 0–20.")]
    [DefaultValue(2.0)]
    public double GuidanceScale { get; init; } = 2.0;

    [Description("Prior sampling steps; must divide 1000 (4 = skip 250, the demo's).")]
    [DefaultValue(4)]
    public int NumInferenceSteps { get; init; } = 4;

    [Description("ψ toward the prior's dataset mean of w, 0–1 (1 = off); CSLA: its strength α, 0–2. Null: the method's default (ψ = 1; the CSLA file's text strength).")]
    public double? TruncationPsi { get; init; }

    [Description("int64 ≥ 0; image i uses its own generator from (seed, i). Null: the server draws one (and the result is not cached).")]
    public long? Seed { get; init; }

    [Description("png, jpeg or webp.")]
    [DefaultValue("png")]
    public string OutputFormat { get; init; } = "png";

    [Description("JPEG/WebP quality, 1–100.")]
    [DefaultValue(90)]
    public int OutputQuality { get; init; } = 90;

    [Description("Also return each image's W+ (float32, row-major [L, W]).")]
    public bool ReturnLatents { get; init; }

    [Description("Deadline in ms, 100–120000, queue time included; may only shorten the server default (30000).")]
    public int? TimeoutMs { get; init; }

    [Description("use, bypass or refresh (skip the read, write the result).")]
    [DefaultValue("use")]
    public string Cache { get; init; } = "use";
}

/// <summary>POST /edit: an image (inverted first) or a W+ latent, edited from source_text to target_text.</summary>
public sealed record EditBody
{
    [Description("PNG, JPEG or WebP as base64 or a data URL; exactly one of image and latent.")]
    public string? Image { get; init; }

    [Description("W+ as float32 values, row-major [L, W] (as returned by /invert or return_latents).")]
    public float[]? Latent { get; init; }

    /// <example>a red shape</example>
    [Description("Neutral / source description.")]
    public string SourceText { get; init; } = "";

    /// <example>a blue shape</example>
    [Description("Target description.")]
    public string TargetText { get; init; } = "";

    [Description("global (StyleCLIP global directions), deltaedit, csla or optimize (StyleCLIP latent optimisation).")]
    [DefaultValue("global")]
    public string Method { get; init; } = "global";

    [Description("α, −50…50; default per method (global 4; csla: the CSLA file's edit strength, 0.8 in the Shapes set; deltaedit and optimize 1).")]
    public double? Strength { get; init; }

    [Description("Up to 8 strengths: one output each (a strength sweep in one request).")]
    public double[]? Strengths { get; init; }

    [Description("β of global directions, 0–1: higher = fewer channels, narrower edit.")]
    [DefaultValue(StyleBridge.Engine.Editing.EditRequest.DefaultDisentanglement)]
    public double Disentanglement { get; init; } = StyleBridge.Engine.Editing.EditRequest.DefaultDisentanglement;

    [Description("Steps of latent optimisation (method optimize), 1–500.")]
    [DefaultValue(40)]
    public int Steps { get; init; } = 40;

    [Description("The first W+ layer the edit may move (0: all); earlier layers keep the source's. On a generator trained with colour mixing, its colour layer keeps a colour edit off the shape.")]
    public int FirstLayer { get; init; }

    [Description("Confine the edit to the generator's colour layers (the first layer its file records, as first_layer; 422 where it records none). For colour edits.")]
    public bool ColourLayers { get; init; }

    [Description("Image input: optimisation steps after the encoder, 0–500 (0: encoder only), as /invert.")]
    public int RefineSteps { get; init; }

    [Description("Image input: where refinement optimises, w+ (one w per layer) or w (one w for every layer: edits keep more of the image).")]
    [DefaultValue("w+")]
    public string RefineSpace { get; init; } = "w+";

    [Description("Also return the un-edited reconstruction (image input).")]
    public bool IncludeReconstruction { get; init; }

    [DefaultValue("png")]
    public string OutputFormat { get; init; } = "png";

    [DefaultValue(90)]
    public int OutputQuality { get; init; } = 90;

    public int? TimeoutMs { get; init; }

    [DefaultValue("use")]
    public string Cache { get; init; } = "use";
}

/// <summary>POST /invert: image → W+ latent and reconstruction (CLIP encoder, optional refinement).</summary>
public sealed record InvertBody
{
    [Description("PNG, JPEG or WebP as base64 or a data URL.")]
    public string? Image { get; init; }

    [Description("Optimisation steps after the encoder, 0–500 (0: encoder only).")]
    public int RefineSteps { get; init; }

    [Description("Where refinement optimises: w+ (one w per layer, the closest reconstruction) or w (one w for every layer: edits from it keep more of the image).")]
    [DefaultValue("w+")]
    public string RefineSpace { get; init; } = "w+";

    [DefaultValue("png")]
    public string OutputFormat { get; init; } = "png";

    [DefaultValue(90)]
    public int OutputQuality { get; init; } = 90;

    public int? TimeoutMs { get; init; }

    [DefaultValue("use")]
    public string Cache { get; init; } = "use";
}
