using StyleBridge.Engine.Editing;
using StyleBridge.Engine.Generation;

namespace StyleBridge.Engine.Serving;

/// <summary>Output encoding of images.</summary>
public enum OutputFormat { Png, Jpeg, Webp }

/// <summary>An encoded image of a response.</summary>
public sealed record EncodedImage(byte[] Data, string ContentType, ulong? Seed = null, double? ClipScore = null);

/// <summary>A text-to-image job.</summary>
public sealed record GenerateJob(GenerationRequest Request, OutputFormat Format, int Quality);

/// <summary>Its result: images best first, their W+ (for chaining), and the pipeline's stage timings.</summary>
public sealed record GenerateOutput(IReadOnlyList<EncodedImage> Images, IReadOnlyList<float[]> Latents, GenerationTimings Timings);

/// <summary>
/// An edit job: an image [1, 3, n, n] in [−1, 1] (inverted first, refined by <paramref name="RefineSteps"/> in
/// <paramref name="RefineSpace"/>) or a W+ [1, L, W], edited by the request (strengths: one output each).
/// </summary>
public sealed record EditJob(float[]? Image, float[]? Latent, EditRequest Request, IReadOnlyList<double> Strengths, bool IncludeReconstruction, OutputFormat Format, int Quality,
    int RefineSteps = 0, RefineSpace RefineSpace = RefineSpace.WPlus);

public sealed record EditOutput(IReadOnlyList<EncodedImage> Images, EncodedImage? Reconstruction, float[] Latent, int ChannelsManipulated);

/// <summary>An inversion job: an image [1, 3, n, n] in [−1, 1].</summary>
public sealed record InvertJob(float[] Image, int RefineSteps, OutputFormat Format, int Quality, RefineSpace RefineSpace = RefineSpace.WPlus);

public sealed record InvertOutput(EncodedImage Reconstruction, float[] Latent, long[] LatentShape, double Psnr);
