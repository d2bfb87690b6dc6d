namespace StyleBridge.Imaging;

/// <summary>An 8-bit RGB image: <see cref="Pixels"/> is row-major, interleaved R,G,B, no row padding (stride = 3 * width).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != 3L * width * height)
            throw new ArgumentException($"expected {3L * width * height} bytes for {width}x{height} RGB, got {pixels.LongLength}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public RgbImage(int width, int height) : this(width, height, new byte[checked(3 * width * height)]) { }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }
    public int Stride => 3 * Width;

    public Span<byte> Row(int y)
    {
        if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y));
        return Pixels.AsSpan(y * Stride, Stride);
    }

    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        var px = Pixel(x, y);
        return (px[0], px[1], px[2]);
    }

    public void SetPixel(int x, int y, byte r, byte g, byte b)
    {
        var px = Pixel(x, y);
        px[0] = r;
        px[1] = g;
        px[2] = b;
    }

    private Span<byte> Pixel(int x, int y)
    {
        if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x));
        return Row(y).Slice(3 * x, 3);
    }
}
