using StyleBridge.Imaging;
using TorchSharp;

namespace StyleBridge.Engine.World;

/// <summary>
/// Draws <see cref="ShapeScene"/>s as 64 × 64 RGB images, anti-aliased by supersampling: each pixel tests the
/// 4 × 4 sample points at (x + (i + ½)/4, y + (j + ½)/4), and with k of the 16 inside, each channel is
/// round-half-up((k·object + (16 − k)·background) / 16), in integers. Pure C#, bit-for-bit deterministic.
/// </summary>
public static class ShapeRenderer
{
    public const int Size = WorldLayout.ImageSize;

    /// <summary>Sample points per pixel along each axis.</summary>
    public const int Supersampling = 4;

    private const int SamplesPerPixel = Supersampling * Supersampling;
    private const int PlaneLength = Size * Size;
    private const int ImageBytes = 3 * PlaneLength;

    // Byte → [-1, 1] exactly as ImageTensors.ToTensor computes it in float32: (b / 255 - 0.5) / 0.5.
    private static readonly float[] SignedUnit = [.. Enumerable.Range(0, 256).Select(b => (b / 255f - 0.5f) / 0.5f)];

    public static RgbImage Render(ShapeScene scene)
    {
        var pixels = new byte[ImageBytes];
        RenderInto(scene, pixels);
        return new RgbImage(Size, Size, pixels);
    }

    public static RgbImage[] Render(IReadOnlyList<ShapeScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        return [.. scenes.Select(scene => Render(scene))];
    }

    /// <summary>Renders into <paramref name="rgb"/>: 64 × 64 interleaved R,G,B bytes, row-major (the <see cref="RgbImage"/> layout).</summary>
    public static void RenderInto(ShapeScene scene, Span<byte> rgb)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (rgb.Length != ImageBytes) throw new ArgumentException($"expected {ImageBytes} bytes, got {rgb.Length}", nameof(rgb));
        var background = WorldPalette.Of(scene.Background);
        var colour = WorldPalette.Of(scene.Colour);
        for (int i = 0; i < ImageBytes; i += 3)
        {
            rgb[i] = background.R;
            rgb[i + 1] = background.G;
            rgb[i + 2] = background.B;
        }

        var (left, top, right, bottom) = ShapeGeometry.Bounds(scene);
        int x0 = Math.Max(0, (int)Math.Floor(left)), x1 = Math.Min(Size - 1, (int)Math.Floor(right));
        int y0 = Math.Max(0, (int)Math.Floor(top)), y1 = Math.Min(Size - 1, (int)Math.Floor(bottom));
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                int covered = Coverage(scene, x, y);
                if (covered == 0) continue;
                int offset = 3 * (y * Size + x);
                rgb[offset] = Blend(colour.R, background.R, covered);
                rgb[offset + 1] = Blend(colour.G, background.G, covered);
                rgb[offset + 2] = Blend(colour.B, background.B, covered);
            }
        }
    }

    /// <summary>How many of pixel (x, y)'s 16 sample points lie in the object.</summary>
    internal static int Coverage(ShapeScene scene, int x, int y)
    {
        int count = 0;
        for (int j = 0; j < Supersampling; j++)
        {
            double sampleY = y + (j + 0.5) / Supersampling;
            for (int i = 0; i < Supersampling; i++)
            {
                if (ShapeGeometry.Contains(scene, x + (i + 0.5) / Supersampling, sampleY)) count++;
            }
        }
        return count;
    }

    private static byte Blend(byte foreground, byte background, int covered) =>
        (byte)((covered * foreground + (SamplesPerPixel - covered) * background + SamplesPerPixel / 2) / SamplesPerPixel);

    /// <summary>The scenes as float32 NCHW data [N, 3, 64, 64] in [-1, 1], planar, ready for <c>torch.tensor</c>.</summary>
    public static float[] RenderPlanar(IReadOnlyList<ShapeScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        var data = new float[checked(scenes.Count * ImageBytes)];
        var rgb = new byte[ImageBytes];
        for (int n = 0; n < scenes.Count; n++)
        {
            RenderInto(scenes[n], rgb);
            var image = data.AsSpan(n * ImageBytes, ImageBytes);
            for (int p = 0; p < PlaneLength; p++)
            {
                image[p] = SignedUnit[rgb[3 * p]];
                image[PlaneLength + p] = SignedUnit[rgb[3 * p + 1]];
                image[2 * PlaneLength + p] = SignedUnit[rgb[3 * p + 2]];
            }
        }
        return data;
    }

    /// <summary>
    /// The scenes as a float32 tensor [N, 3, 64, 64] in [-1, 1] (the generator's range), created once from C# data;
    /// equal, value for value, to <see cref="ImageTensors.ToTensor"/> of the rendered images. The caller disposes it.
    /// </summary>
    public static torch.Tensor RenderTensor(IReadOnlyList<ShapeScene> scenes, torch.Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (scenes.Count == 0) throw new ArgumentException("at least one scene is required", nameof(scenes));
        return torch.tensor(RenderPlanar(scenes), [scenes.Count, 3, Size, Size], device: device);
    }
}
