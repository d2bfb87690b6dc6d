using StyleBridge.Imaging;

namespace StyleBridge.Engine.Tests.World;

public class ContactSheetTests
{
    private static RgbImage Solid(int width, int height, byte value)
    {
        var image = new RgbImage(width, height);
        Array.Fill(image.Pixels, value);
        return image;
    }

    [Fact]
    public void Tile_PlacesImagesRowByRowWithTwoPixelGutters()
    {
        var images = Enumerable.Range(0, 5).Select(i => Solid(4, 3, (byte)(10 * (i + 1)))).ToList();
        var gutter = new Rgb(1, 2, 3);
        var sheet = ContactSheet.Tile(images, gutterColour: gutter);

        // 5 images → 3 columns, 2 rows: width 3·(4+2)+2, height 2·(3+2)+2
        Assert.Equal(20, sheet.Width);
        Assert.Equal(12, sheet.Height);
        for (int y = 0; y < sheet.Height; y++)
        {
            for (int x = 0; x < sheet.Width; x++)
            {
                int column = (x - 2) / 6, row = (y - 2) / 5;
                bool inTile = x >= 2 && y >= 2 && (x - 2) % 6 < 4 && (y - 2) % 5 < 3;
                int n = row * 3 + column;
                var (r, g, b) = sheet.GetPixel(x, y);
                if (inTile && n < 5)
                    Assert.Equal(new Rgb((byte)(10 * (n + 1)), (byte)(10 * (n + 1)), (byte)(10 * (n + 1))), new Rgb(r, g, b));
                else
                    Assert.Equal(gutter, new Rgb(r, g, b));
            }
        }
    }

    [Fact]
    public void Tile_HonoursColumns_AndRejectsMixedSizes()
    {
        var sheet = ContactSheet.Tile([Solid(64, 64, 0), Solid(64, 64, 0)], columns: 1);
        Assert.Equal((68, 134), (sheet.Width, sheet.Height));
        Assert.Throws<ArgumentException>(() => ContactSheet.Tile([Solid(4, 4, 0), Solid(4, 5, 0)]));
        Assert.Throws<ArgumentException>(() => ContactSheet.Tile([]));
    }
}
