using StyleBridge.Imaging;

namespace StyleBridge.Engine.World;

/// <summary>
/// Tiles equally sized images into one grid image, row by row, with <see cref="Gutter"/> pixels of
/// <c>gutterColour</c> between the tiles and around the edge; cells past the last image stay gutter-coloured.
/// </summary>
public static class ContactSheet
{
    public const int Gutter = 2;

    /// <summary>White, distinct from every Shapes background.</summary>
    public static readonly Rgb DefaultGutterColour = new(255, 255, 255);

    /// <param name="columns">tiles per row; 0 picks ceil(√N)</param>
    public static RgbImage Tile(IReadOnlyList<RgbImage> images, int columns = 0, Rgb? gutterColour = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("at least one image is required", nameof(images));
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (columns == 0) columns = (int)Math.Ceiling(Math.Sqrt(images.Count));
        columns = Math.Min(columns, images.Count);
        int rows = (images.Count + columns - 1) / columns;
        int tileWidth = images[0].Width, tileHeight = images[0].Height;

        var sheet = new RgbImage(columns * (tileWidth + Gutter) + Gutter, rows * (tileHeight + Gutter) + Gutter);
        var fill = gutterColour ?? DefaultGutterColour;
        for (int i = 0; i < sheet.Pixels.Length; i += 3)
        {
            sheet.Pixels[i] = fill.R;
            sheet.Pixels[i + 1] = fill.G;
            sheet.Pixels[i + 2] = fill.B;
        }

        for (int n = 0; n < images.Count; n++)
        {
            var image = images[n];
            if (image.Width != tileWidth || image.Height != tileHeight)
                throw new ArgumentException($"image {n} is {image.Width}x{image.Height}, image 0 is {tileWidth}x{tileHeight}", nameof(images));
            int left = Gutter + n % columns * (tileWidth + Gutter);
            int top = Gutter + n / columns * (tileHeight + Gutter);
            for (int y = 0; y < tileHeight; y++)
                image.Row(y).CopyTo(sheet.Row(top + y).Slice(3 * left, image.Stride));
        }
        return sheet;
    }
}
