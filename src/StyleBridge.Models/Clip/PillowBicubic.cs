using StyleBridge.Imaging;

namespace StyleBridge.Models.Clip;

/// <summary>
/// Pillow's 8-bit BICUBIC resampling (<c>Image.resize</c>, Pillow 9.x), reproduced bit for bit: a separable
/// convolution with the Keys cubic (a = −0.5), its support widened by the scale when shrinking (antialiasing),
/// weights in 22-bit fixed point, the horizontal pass first into an 8-bit image, each pass skipped when its
/// dimension does not change.
/// </summary>
public static class PillowBicubic
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 2.0;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == image.Width && height == image.Height)
            return new RgbImage(width, height, (byte[])image.Pixels.Clone());

        var result = image;
        if (width != image.Width)
            result = ResampleHorizontal(result, width);
        if (height != image.Height)
            result = ResampleVertical(result, height);
        return result;
    }

    private static double Filter(double x)
    {
        const double a = -0.5;
        if (x < 0.0)
            x = -x;
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Per output index: the first input index and the fixed-point weights of the taps.</summary>
    private static (int[] First, int[][] Weights) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = Support * filterScale;
        double inverseScale = 1.0 / filterScale; // Pillow multiplies by the reciprocal; dividing can differ in the last bit
        var first = new int[outSize];
        var weights = new int[outSize][];
        var taps = new double[(int)Math.Ceiling(support) * 2 + 1];
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            int min = Math.Max((int)(center - support + 0.5), 0);
            int max = Math.Min((int)(center + support + 0.5), inSize) - min;
            double sum = 0;
            for (int x = 0; x < max; x++)
            {
                double w = Filter((x + min - center + 0.5) * inverseScale);
                taps[x] = w;
                sum += w;
            }

            var fixedPoint = new int[max];
            for (int x = 0; x < max; x++)
            {
                double w = sum != 0.0 ? taps[x] / sum : taps[x];
                // rounded half away from zero, as Pillow's normalize_coeffs_8bpc
                fixedPoint[x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }

            first[i] = min;
            weights[i] = fixedPoint;
        }

        return (first, weights);
    }

    private static byte Clip8(int accumulator)
    {
        if (accumulator >= (1 << PrecisionBits << 8))
            return 255;
        if (accumulator <= 0)
            return 0;
        return (byte)(accumulator >> PrecisionBits);
    }

    private static RgbImage ResampleHorizontal(RgbImage source, int width)
    {
        var (first, weights) = Coefficients(source.Width, width);
        var output = new RgbImage(width, source.Height);
        byte[] src = source.Pixels, dst = output.Pixels;
        for (int y = 0; y < source.Height; y++)
        {
            int srcRow = y * source.Stride, dstRow = y * output.Stride;
            for (int x = 0; x < width; x++)
            {
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                var k = weights[x];
                int p = srcRow + 3 * first[x];
                for (int t = 0; t < k.Length; t++, p += 3)
                {
                    r += src[p] * k[t];
                    g += src[p + 1] * k[t];
                    b += src[p + 2] * k[t];
                }

                int o = dstRow + 3 * x;
                dst[o] = Clip8(r);
                dst[o + 1] = Clip8(g);
                dst[o + 2] = Clip8(b);
            }
        }

        return output;
    }

    private static RgbImage ResampleVertical(RgbImage source, int height)
    {
        var (first, weights) = Coefficients(source.Height, height);
        var output = new RgbImage(source.Width, height);
        byte[] src = source.Pixels, dst = output.Pixels;
        int stride = source.Stride;
        for (int y = 0; y < height; y++)
        {
            var k = weights[y];
            int top = first[y] * stride, dstRow = y * stride;
            for (int i = 0; i < stride; i++)
            {
                int acc = 1 << (PrecisionBits - 1);
                for (int t = 0, p = top + i; t < k.Length; t++, p += stride)
                    acc += src[p] * k[t];
                dst[dstRow + i] = Clip8(acc);
            }
        }

        return output;
    }
}
