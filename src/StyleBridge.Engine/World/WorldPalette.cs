namespace StyleBridge.Engine.World;

/// <summary>The spec's exact sRGB values for object colours and backgrounds.</summary>
public static class WorldPalette
{
    public static Rgb Of(ShapeColour colour) => colour switch
    {
        ShapeColour.Red => new Rgb(230, 40, 40),
        ShapeColour.Green => new Rgb(40, 190, 60),
        ShapeColour.Blue => new Rgb(40, 90, 230),
        ShapeColour.Yellow => new Rgb(240, 220, 40),
        ShapeColour.Magenta => new Rgb(220, 60, 200),
        ShapeColour.Cyan => new Rgb(40, 210, 220),
        _ => throw new ArgumentOutOfRangeException(nameof(colour), colour, null),
    };

    public static Rgb Of(Background background) => background switch
    {
        Background.Black => new Rgb(20, 20, 20),
        Background.White => new Rgb(235, 235, 235),
        Background.Gray => new Rgb(128, 128, 128),
        _ => throw new ArgumentOutOfRangeException(nameof(background), background, null),
    };
}
