namespace StyleBridge.Imaging.Codecs;

/// <summary>Row conversions between our packed RGB and the 4-byte RGBA layout Skia works in (it has no 3-byte colour type).</summary>
internal static class PixelConversion
{
    /// <summary>Drops the alpha byte: RGBA RGBA ... to RGB RGB ...</summary>
    public static void RgbaToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int pixels = rgb.Length / 3;
        if (rgba.Length < 4 * pixels) throw new ArgumentException("RGBA row is too short", nameof(rgba));
        for (int i = 0, s = 0, d = 0; i < pixels; i++, s += 4, d += 3)
        {
            rgb[d] = rgba[s];
            rgb[d + 1] = rgba[s + 1];
            rgb[d + 2] = rgba[s + 2];
        }
    }

    /// <summary>Adds an opaque alpha byte: RGB RGB ... to RGBA RGBA ... with A = 255.</summary>
    public static void RgbToRgba(ReadOnlySpan<byte> rgb, Span<byte> rgba)
    {
        int pixels = rgb.Length / 3;
        if (rgba.Length < 4 * pixels) throw new ArgumentException("RGBA row is too short", nameof(rgba));
        for (int i = 0, s = 0, d = 0; i < pixels; i++, s += 3, d += 4)
        {
            rgba[d] = rgb[s];
            rgba[d + 1] = rgb[s + 1];
            rgba[d + 2] = rgb[s + 2];
            rgba[d + 3] = 0xFF;
        }
    }
}
