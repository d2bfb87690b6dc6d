using StyleBridge.Engine.Editing;
using StyleBridge.Imaging;

namespace StyleBridge.Engine.Serving;

/// <summary>Runs one batch of compatible items of an endpoint and completes each item on its own.</summary>
public interface IBatchExecutor
{
    string Endpoint { get; }

    void Execute(IReadOnlyList<WorkItem> batch);
}

/// <summary>Image encoding for responses.</summary>
public static class ImageOutput
{
    public static EncodedImage Encode(Tensor image, OutputFormat format, int quality, ulong? seed = null, double? score = null)
    {
        using var scope = NewDisposeScope();
        var rgb = ImageTensors.FromTensor(image.dim() == 3 ? image.unsqueeze(0) : image)[0];
        return format switch
        {
            OutputFormat.Jpeg => new EncodedImage(ImageEncoder.EncodeJpeg(rgb, quality), "image/jpeg", seed, score),
            OutputFormat.Webp => new EncodedImage(ImageEncoder.EncodeWebP(rgb, quality), "image/webp", seed, score),
            _ => new EncodedImage(ImageEncoder.EncodePng(rgb), "image/png", seed, score),
        };
    }
}

/// <summary>/generate: every request of the batch goes through one <c>TextToImagePipeline.Generate</c> call.</summary>
public sealed class GenerateExecutor(ModelHost models, ServingTelemetry? telemetry = null) : IBatchExecutor
{
    public string Endpoint => "generate";

    public void Execute(IReadOnlyList<WorkItem> batch)
    {
        var items = batch.Cast<WorkItem<GenerateJob>>().ToList();
        var token = items.Count == 1 ? items[0].Cancellation : CancellationToken.None;
        var started = DateTimeOffset.UtcNow;
        var results = models.TextToImage.Generate([.. items.Select(i => i.Payload.Request)], token);
        if (telemetry is not null && results.Count > 0)
            RecordStages(telemetry, started, results[0].Timings);
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                var job = items[i].Payload;
                var images = results[i].Images.Select(img => ImageOutput.Encode(img.Image, job.Format, job.Quality, img.Seed, img.ClipScore)).ToList();
                var latents = results[i].Images.Select(img => img.WPlus.contiguous().data<float>().ToArray()).ToList();
                items[i].Succeed(new GenerateOutput(images, latents, results[i].Timings));
            }
        }
        finally
        {
            foreach (var r in results)
                r.Dispose();
        }
    }

    private static void RecordStages(ServingTelemetry telemetry, DateTimeOffset start, StyleBridge.Engine.Generation.GenerationTimings t)
    {
        var at = start;
        foreach (var (stage, seconds) in new[] { ("text", t.TextSeconds), ("latent", t.LatentSeconds), ("synthesis", t.SynthesisSeconds), ("rerank", t.RerankSeconds) })
        {
            telemetry.StageDuration.Record(seconds, new("endpoint", "generate"), new("stage", stage));
            using var span = telemetry.Source.StartActivity(stage, System.Diagnostics.ActivityKind.Internal, default(System.Diagnostics.ActivityContext), startTime: at);
            at = at.AddSeconds(seconds);
            span?.SetEndTime(at.UtcDateTime);
        }
    }
}

/// <summary>Stage histograms and one child span per stage (text, latent, synthesis, rerank) under the batch span.</summary>

/// <summary>/invert: the batch's images in one encoder pass (items that refine run one by one).</summary>
public sealed class InvertExecutor(ModelHost models) : IBatchExecutor
{
    public string Endpoint => "invert";

    public void Execute(IReadOnlyList<WorkItem> batch)
    {
        int size = models.Editing.Generator.Config.Size;
        foreach (var group in batch.Cast<WorkItem<InvertJob>>().GroupBy(i => (i.Payload.RefineSteps, i.Payload.RefineSpace)))
        {
            var items = group.ToList();
            using var scope = NewDisposeScope();
            var images = cat(items.Select(i => tensor(i.Payload.Image, [1, 3, size, size])).ToList());
            var token = items.Count == 1 ? items[0].Cancellation : CancellationToken.None;
            using var result = models.Editing.Invert(images, group.Key.RefineSteps, refineSpace: group.Key.RefineSpace, cancellation: token);
            for (int i = 0; i < items.Count; i++)
            {
                var job = items[i].Payload;
                var wplus = result.Code.WPlus[TensorIndex.Slice(i, i + 1)];
                double psnr = Psnr(result.Images[i], images[i]);
                items[i].Succeed(new InvertOutput(ImageOutput.Encode(result.Images[i], job.Format, job.Quality),
                    wplus.contiguous().data<float>().ToArray(), wplus.shape, psnr));
            }
        }
    }

    public static double Psnr(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        Tensor Bytes(Tensor x) => x.ClampScalar(-1, 1).AddScalar(1).MulScalar(127.5).round();
        double mse = Bytes(a).sub(Bytes(b)).square().mean().to(ScalarType.Float64).item<double>();
        return mse == 0 ? 100 : 10 * Math.Log10(255.0 * 255.0 / mse);
    }
}

/// <summary>/edit: each item (its own texts and strengths) in turn; an image is inverted first.</summary>
public sealed class EditExecutor(ModelHost models) : IBatchExecutor
{
    public string Endpoint => "edit";

    public void Execute(IReadOnlyList<WorkItem> batch)
    {
        var pipeline = models.Editing;
        var g = pipeline.Generator;
        foreach (var item in batch.Cast<WorkItem<EditJob>>())
        {
            var job = item.Payload;
            try
            {
                using var scope = NewDisposeScope();
                LatentCode code;
                EncodedImage? reconstruction = null;
                if (job.Image is { } pixels)
                {
                    using var inverted = pipeline.Invert(tensor(pixels, [1, 3, g.Config.Size, g.Config.Size]), job.RefineSteps, refineSpace: job.RefineSpace,
                        cancellation: item.Cancellation);
                    code = new LatentCode(inverted.Code.WPlus.clone(), [.. inverted.Code.Styles.Select(s => s.clone())]);
                    if (job.IncludeReconstruction)
                        reconstruction = ImageOutput.Encode(inverted.Images[0], job.Format, job.Quality);
                }
                else
                {
                    code = pipeline.CodeOf(tensor(job.Latent!, [1, g.NLatent, g.Config.StyleDim]));
                }

                using (code)
                {
                    var images = new List<EncodedImage>();
                    int channels = -1;
                    foreach (double strength in job.Strengths)
                    {
                        item.Cancellation.ThrowIfCancellationRequested();
                        using var edited = pipeline.Edit(code, job.Request with { Strength = strength }, item.Cancellation);
                        images.Add(ImageOutput.Encode(edited.Images[0], job.Format, job.Quality));
                        channels = edited.ChannelsManipulated;
                    }
                    item.Succeed(new EditOutput(images, reconstruction, code.WPlus.contiguous().data<float>().ToArray(), channels));
                }
            }
            catch (OperationCanceledException) when (item.Cancellation.IsCancellationRequested)
            {
                item.Cancel();
            }
            catch (ArgumentException e)
            {
                item.Fail(e);
            }
        }
    }
}
