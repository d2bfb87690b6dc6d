using System.Globalization;
using StyleBridge.Models.Clip;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;
using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Engine.Data;

/// <summary>
/// The data-free training set of clip2latent and CSLA: z ~ N(0, I) → w = mapping(z) (ψ = 1) → image = synthesis(w) with
/// random noise inputs (the generator's default) → CLIP image embedding, raw (not L2-normalised), by the single
/// normalisation chain (area resize to CLIP's input, <c>0.5x + 0.5</c>, CLIP mean/std, no clamp). Stored as chunks
/// <c>chunk-NNNNN.safetensors</c> with <c>w</c> [n, W] and <c>img_feat</c> [n, E]; chunk c draws everything from a
/// generator seeded by (seed, c), so an interrupted run resumes by skipping the chunks already written and gives the
/// same bytes as an uninterrupted one.
/// </summary>
public static class LatentDataset
{
    public const string LatentKey = "w";
    public const string EmbeddingKey = "img_feat";
    private const string Prefix = "chunk-";

    public static string ChunkPath(string directory, int chunk) =>
        Path.Combine(directory, $"{Prefix}{chunk.ToString("D5", CultureInfo.InvariantCulture)}.safetensors");

    /// <summary>Writes the missing chunks of a set of <paramref name="count"/> samples; returns how many chunks it wrote.</summary>
    public static int Generate(Generator generator, ClipModel clip, ClipImageTransform transform, string directory, int count,
        int chunkSize, long seed, int batch = 64, Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        Directory.CreateDirectory(directory);
        int chunks = (count + chunkSize - 1) / chunkSize;
        int written = 0;
        for (int c = 0; c < chunks; c++)
        {
            cancellation.ThrowIfCancellationRequested();
            string path = ChunkPath(directory, c);
            int n = Math.Min(chunkSize, count - c * chunkSize);
            if (File.Exists(path) && SafeTensorsHeader.Read(path).Entries.FirstOrDefault(e => e.Name == LatentKey) is { } info && info.Shape[0] == n)
            {
                progress?.Invoke(c + 1, chunks);
                continue;
            }

            using var scope = NewDisposeScope();
            using var rng = new RandomGenerator(unchecked((ulong)seed * 1_000_003UL + (ulong)c));
            var ws = new List<Tensor>();
            var feats = new List<Tensor>();
            using (inference_mode())
            {
                for (int start = 0; start < n; start += batch)
                {
                    int b = Math.Min(batch, n - start);
                    var z = randn(b, generator.Config.StyleDim, generator: rng);
                    var w = generator.Map(z);
                    var images = generator.Synthesize(w, new SynthesisOptions(NoiseMode.Random, rng));
                    ws.Add(w);
                    feats.Add(clip.EncodeImage(transform.Apply(images)));
                }
            }

            string temp = path + ".writing";
            SafeTensors.Save(temp, [new(LatentKey, cat(ws).contiguous()), new(EmbeddingKey, cat(feats).contiguous())],
                new Dictionary<string, string>
                {
                    ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
                    ["chunk"] = c.ToString(CultureInfo.InvariantCulture),
                    ["chain"] = "z~N(0,I) -> mapping (psi 1) -> synthesis (random noise) -> area resize, 0.5x+0.5, CLIP mean/std -> encode_image (raw)",
                });
            File.Move(temp, path, overwrite: true);
            written++;
            progress?.Invoke(c + 1, chunks);
        }
        return written;
    }

    /// <summary>Every chunk of <paramref name="directory"/>, in order: w [N, W] and raw image embeddings [N, E] (owned by the caller).</summary>
    public static (Tensor W, Tensor Embeddings) Load(string directory, int? limit = null)
    {
        var files = Directory.Exists(directory)
            ? Directory.GetFiles(directory, Prefix + "*.safetensors").Order(StringComparer.Ordinal).ToList()
            : [];
        if (files.Count == 0)
            throw new FileNotFoundException($"{directory}: no {Prefix}*.safetensors; make them with `stylebridge data generate --out {directory}`");
        using var scope = NewDisposeScope();
        var ws = new List<Tensor>();
        var feats = new List<Tensor>();
        long total = 0;
        foreach (string file in files)
        {
            using var chunk = SafeTensors.Load(file);
            ws.Add(chunk[LatentKey].to(ScalarType.Float32).clone());
            feats.Add(chunk[EmbeddingKey].to(ScalarType.Float32).clone());
            total += ws[^1].shape[0];
            if (limit is { } l && total >= l)
                break;
        }
        var w = cat(ws);
        var f = cat(feats);
        if (limit is { } max && w.shape[0] > max)
        {
            w = w[TensorIndex.Slice(0, max)];
            f = f[TensorIndex.Slice(0, max)];
        }
        return (w.contiguous().DetachFromDisposeScope(), f.contiguous().DetachFromDisposeScope());
    }
}
