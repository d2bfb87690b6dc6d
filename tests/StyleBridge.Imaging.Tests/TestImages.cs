using StyleBridge.Imaging;

namespace StyleBridge.Imaging.Tests;

internal static class TestImages
{
    /// <summary>Smooth gradients plus a soft ripple: typical photographic content for lossy codecs.</summary>
    public static RgbImage Smooth(int width, int height)
    {
        var img = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            double u = (double)x / width, v = (double)y / height;
            byte r = (byte)(255 * u);
            byte g = (byte)(255 * v);
            byte b = (byte)(127.5 + 100 * Math.Sin(6 * u + 4 * v));
            img.SetPixel(x, y, r, g, b);
        }
        return img;
    }

    /// <summary>Every pixel different from its neighbours and from every other pixel position (for exact layout checks).</summary>
    public static RgbImage Unique(int width, int height)
    {
        var img = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            img.SetPixel(x, y, (byte)x, (byte)y, (byte)(x * 7 + y * 13));
        return img;
    }

    public static RgbImage Noise(int width, int height, int seed)
    {
        var img = new RgbImage(width, height);
        new Random(seed).NextBytes(img.Pixels);
        return img;
    }

    /// <summary>Solid blocks of <paramref name="block"/> pixels in distinct colours, laid out <paramref name="cols"/> x <paramref name="rows"/>.</summary>
    public static RgbImage Blocks(int cols, int rows, int block)
    {
        (byte, byte, byte)[] palette =
        [
            (230, 30, 30), (30, 200, 30), (30, 30, 230), (240, 240, 40),
            (40, 230, 230), (230, 40, 230), (250, 250, 250), (20, 20, 20), (128, 64, 0),
        ];
        var img = new RgbImage(cols * block, rows * block);
        for (int y = 0; y < img.Height; y++)
        for (int x = 0; x < img.Width; x++)
        {
            var (r, g, b) = palette[(y / block * cols + x / block) % palette.Length];
            img.SetPixel(x, y, r, g, b);
        }
        return img;
    }

    public static double Psnr(RgbImage a, RgbImage b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        double se = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            double d = a.Pixels[i] - b.Pixels[i];
            se += d * d;
        }
        double mse = se / a.Pixels.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    public static int MaxAbsDiff(RgbImage a, RgbImage b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        int max = 0;
        for (int i = 0; i < a.Pixels.Length; i++) max = Math.Max(max, Math.Abs(a.Pixels[i] - b.Pixels[i]));
        return max;
    }

    // Geometric operations written independently of the decoder, straight from their definitions.
    public static RgbImage FlipHorizontal(RgbImage s) => Map(s, s.Width, s.Height, (x, y) => (s.Width - 1 - x, y));
    public static RgbImage FlipVertical(RgbImage s) => Map(s, s.Width, s.Height, (x, y) => (x, s.Height - 1 - y));
    public static RgbImage Rotate180(RgbImage s) => FlipVertical(FlipHorizontal(s));

    /// <summary>Turn clockwise by 90°: the left column becomes the top row.</summary>
    public static RgbImage Rotate90Clockwise(RgbImage s) => Map(s, s.Height, s.Width, (x, y) => (y, s.Height - 1 - x));

    public static RgbImage Rotate90CounterClockwise(RgbImage s) => Rotate180(Rotate90Clockwise(s));

    /// <summary>Builds an image of the given size whose pixel (x, y) is source pixel <paramref name="from"/>(x, y).</summary>
    private static RgbImage Map(RgbImage s, int width, int height, Func<int, int, (int X, int Y)> from)
    {
        var d = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            var (sx, sy) = from(x, y);
            var (r, g, b) = s.GetPixel(sx, sy);
            d.SetPixel(x, y, r, g, b);
        }
        return d;
    }
}
