namespace StyleBridge.Engine.World;

/// <summary>
/// A fixed assignment of scenes to latent codes z: the first <see cref="Dimensions"/> coordinates of z say which
/// scene z stands for, the rest are free. Each attribute owns one group of coordinates, one per value, and takes the
/// value of its group's largest coordinate (so every value is equally likely under z ~ N(0, I), and the boundaries
/// are the hyperplanes z_i = z_j); the side and centre jitter come from three coordinates of the pixel-normalised
/// z̃ = z / rms(z), as Φ(z̃) spread over ±<see cref="WorldLayout.Jitter"/>. A mapping network sees z̃ (its first
/// layer is the pixel norm), so the scene is a function of what it sees.
/// </summary>
public static class SceneCode
{
    private static readonly int[] GroupSizes = [.. ShapeAttributes.Attributes.Select(ShapeAttributes.ValueCount)];
    private static readonly int JitterStart = GroupSizes.Sum();

    /// <summary>The coordinates the scene depends on: one per attribute value, then side, centre x, centre y.</summary>
    public static int Dimensions { get; } = JitterStart + 3;

    /// <summary>The scenes the codes [N, D] stand for (D ≥ <see cref="Dimensions"/>).</summary>
    public static ShapeScene[] Decode(Tensor z)
    {
        Check(z);
        using var scope = NewDisposeScope();
        var x = z.detach().to(ScalarType.Float32, CPU);
        int n = (int)x.size(0);
        var values = new long[GroupSizes.Length][];
        int start = 0;
        for (int a = 0; a < GroupSizes.Length; a++)
        {
            values[a] = x.narrow(1, start, GroupSizes[a]).argmax(1).data<long>().ToArray();
            start += GroupSizes[a];
        }

        var normalised = x.div(x.square().mean([1], keepdim: true).sqrt());
        var u = normalised.narrow(1, JitterStart, 3).div(Math.Sqrt(2)).erf().add(1).div(2).data<float>().ToArray();
        var scenes = new ShapeScene[n];
        for (int i = 0; i < n; i++)
        {
            var attributes = new ShapeAttributes((Shape)values[0][i], (ShapeColour)values[1][i], (ShapeSize)values[2][i],
                (ShapePosition)values[3][i], (Background)values[4][i]);
            var (cx, cy) = WorldLayout.NominalCentre(attributes.Position);
            scenes[i] = ShapeScene.Create(attributes,
                WorldLayout.NominalSide(attributes.Size) + Offset(u[3 * i]),
                cx + Offset(u[3 * i + 1]),
                cy + Offset(u[3 * i + 2]));
        }

        return scenes;
    }

    /// <summary>
    /// A code [N, <paramref name="zDim"/>] for each scene, drawn from N(0, I) conditioned on standing for it: each
    /// group's largest coordinate is swapped onto the scene's value (exact, by symmetry), and the jitter coordinates
    /// are set so that their normalised values give the scene's side and centre.
    /// </summary>
    public static Tensor Encode(IReadOnlyList<ShapeScene> scenes, int zDim, RandomGenerator rng)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (zDim < Dimensions + 8)
            throw new ArgumentException($"a scene code needs z of at least {Dimensions + 8} dimensions, got {zDim}");
        int n = scenes.Count;
        using var scope = NewDisposeScope();
        var z = randn([n, zDim], generator: rng).data<float>().ToArray();
        var offsets = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            var (cx, cy) = WorldLayout.NominalCentre(scenes[i].Position);
            offsets[3 * i] = scenes[i].Side - WorldLayout.NominalSide(scenes[i].Size);
            offsets[3 * i + 1] = scenes[i].CenterX - cx;
            offsets[3 * i + 2] = scenes[i].CenterY - cy;
        }

        var probits = Probits(offsets);
        for (int i = 0; i < n; i++)
        {
            var s = scenes[i];
            long[] value = [(long)s.Shape, (long)s.Colour, (long)s.Size, (long)s.Position, (long)s.Background];
            int start = i * zDim;
            for (int a = 0; a < GroupSizes.Length; a++)
            {
                int best = start;
                for (int k = start + 1; k < start + GroupSizes[a]; k++)
                    if (z[k] > z[best]) best = k;
                (z[best], z[start + value[a]]) = (z[start + value[a]], z[best]);
                start += GroupSizes[a];
            }

            var t = probits.AsSpan(3 * i, 3);
            // z̃_k = z_k / rms(z) = t_k for the three jitter coordinates k: with S the sum of squares of the others,
            // z_k = t_k c where c² = S / (zDim - Σ t_k²).
            int jitter = i * zDim + JitterStart;
            double rest = 0;
            for (int k = i * zDim; k < (i + 1) * zDim; k++)
                if (k < jitter || k >= jitter + 3)
                    rest += (double)z[k] * z[k];
            double c = Math.Sqrt(rest / (zDim - t[0] * t[0] - t[1] * t[1] - t[2] * t[2]));
            for (int k = 0; k < 3; k++)
                z[jitter + k] = (float)(t[k] * c);
        }

        return tensor(z, [n, zDim]).MoveToOuterDisposeScope();
    }

    private static float Offset(float u) => (2 * u - 1) * WorldLayout.Jitter;

    /// <summary>Φ⁻¹ of each offset's place in ±Jitter, kept inside (1e-4, 1 - 1e-4).</summary>
    private static double[] Probits(double[] offsets)
    {
        var u = offsets.Select(o => 2 * Math.Clamp((o / WorldLayout.Jitter + 1) / 2, 1e-4, 1 - 1e-4) - 1).ToArray();
        using var scope = NewDisposeScope();
        return tensor(u).erfinv().mul(Math.Sqrt(2)).data<double>().ToArray();
    }

    private static void Check(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() != 2 || z.size(1) < Dimensions || !z.is_floating_point())
            throw new ArgumentException($"scene codes must be floating [N, ≥{Dimensions}], got {z.dtype} [{string.Join(", ", z.shape)}]");
    }
}
