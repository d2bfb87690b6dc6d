using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Models.Editing;

/// <summary>A text direction mapped to a style change: which channels move, by how much.</summary>
/// <param name="Keep">[C] bool: |r| ≥ β.</param>
/// <param name="Direction">[C]: r·keep / max|r·keep| (zeros when nothing survives).</param>
/// <param name="Boundary">[C]: direction·σ (α-free).</param>
/// <param name="Channels">Channels manipulated.</param>
public sealed record StyleDirection(Tensor Keep, Tensor Direction, Tensor Boundary, int Channels) : IDisposable
{
    /// <summary>Δs = α·boundary.</summary>
    public Tensor Delta(double alpha) => Boundary.mul(alpha);

    public void Dispose()
    {
        Keep.Dispose();
        Direction.Dispose();
        Boundary.Dispose();
    }
}

/// <summary>
/// StyleCLIP global directions (spec §2): the channel relevance <c>fs3</c> [C, D] (unit rows, flat conv-S order), the
/// per-channel spread σ of S, and the mapping of a unit text direction Δt to Δs (<c>GetBoundary</c>, <c>SplitS</c>,
/// <c>MSCode</c>).
/// </summary>
public sealed class GlobalDirections : IDisposable
{
    public GlobalDirections(Tensor fs3, Tensor sigma, Tensor? mu = null)
    {
        if (fs3.dim() != 2 || sigma.dim() != 1 || sigma.shape[0] != fs3.shape[0])
            throw new ArgumentException($"fs3 [C, D] and σ [C] must agree, got {TensorBytes.Format(fs3.shape)} and {TensorBytes.Format(sigma.shape)}");
        Fs3 = fs3.to(ScalarType.Float32).DetachFromDisposeScope();
        Sigma = sigma.to(ScalarType.Float32).DetachFromDisposeScope();
        Mu = mu?.to(ScalarType.Float32).DetachFromDisposeScope();
    }

    public Tensor Fs3 { get; }
    public Tensor Sigma { get; }
    public Tensor? Mu { get; }
    public long Channels => Fs3.shape[0];
    public long ClipDim => Fs3.shape[1];

    /// <summary>The released <c>fs3.npy</c> (any float dtype, [6048, 512] for FFHQ), checked against the generator's conv S.</summary>
    public static Tensor LoadFs3(string path, Generator generator)
    {
        var fs3 = Npy.Load(path);
        try
        {
            int conv = generator.StyleSpace.TotalDimWithoutToRgb;
            if (fs3.dim() != 2 || fs3.shape[0] != conv)
                throw new WeightFormatException(path, $"fs3 must be [{conv}, D] (one row per conv channel of this generator), got {TensorBytes.Format(fs3.shape)}");
            return fs3.to(ScalarType.Float32);
        }
        finally
        {
            fs3.Dispose();
        }
    }

    /// <summary>r = fs3 · Δt.</summary>
    public Tensor Relevance(Tensor dt) => Fs3.to(dt.dtype).matmul(dt);

    /// <summary>The channels above β and their σ-scaled, max-normalised direction.</summary>
    public StyleDirection Direction(Tensor dt, double beta)
    {
        using var scope = NewDisposeScope();
        var r = Relevance(dt);
        var keep = r.abs().ge(beta);
        var kept = r.mul(keep.to(r.dtype));
        double max = kept.abs().max().to(ScalarType.Float64).item<double>();
        var direction = max > 0 ? kept.div(max) : zeros_like(kept);
        var boundary = direction.mul(Sigma.to(direction.dtype));
        int channels = (int)keep.sum().item<long>();
        return new StyleDirection(keep.DetachFromDisposeScope(), direction.DetachFromDisposeScope(), boundary.DetachFromDisposeScope(), channels);
    }

    /// <summary>
    /// σ and μ of the conv S (population statistics, accumulated in float64, kept in float32) of z mapped and truncated
    /// toward <paramref name="latentAvg"/> with ψ (0.7, as <c>GetCode.py</c>).
    /// </summary>
    public static (Tensor Sigma, Tensor Mu) Statistics(Generator generator, Tensor z, Tensor latentAvg, double psi = 0.7, int batch = 1000)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        var sum = zeros(generator.StyleSpace.TotalDimWithoutToRgb, dtype: ScalarType.Float64);
        var sumSq = zeros_like(sum);
        long n = z.shape[0];
        var avg = latentAvg.reshape(1, -1).to(z.dtype);
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += batch)
        {
            var w = generator.Map(z.narrow(0, start, Math.Min(batch, n - start)));
            var wt = avg.add(w.sub(avg).mul(psi));
            parts.Add(ConvStyles.Of(generator, wt).to(ScalarType.Float64));
        }
        var s = cat(parts);
        var mu = s.mean([0]);
        var sigma = s.sub(mu).square().mean([0]).sqrt();
        return (sigma.to(ScalarType.Float32).MoveToOuterDisposeScope(), mu.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Fs3.Dispose();
        Sigma.Dispose();
        Mu?.Dispose();
    }
}
