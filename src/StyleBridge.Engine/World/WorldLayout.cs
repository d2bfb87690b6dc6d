namespace StyleBridge.Engine.World;

/// <summary>
/// Image size, nominal object sizes and centres, and the jitter around them. Coordinates are continuous pixels: pixel
/// (x, y) covers the unit square [x, x + 1) × [y, y + 1), (0, 0) is the top-left corner, y grows downwards.
/// </summary>
public static class WorldLayout
{
    public const int ImageSize = 64;

    /// <summary>Half-width of the uniform jitter on the side and on each centre coordinate, in pixels.</summary>
    public const float Jitter = 2f;

    /// <summary>Nominal bounding-box side: the width of every shape, and the height of circle and square.</summary>
    public static float NominalSide(ShapeSize size) => size switch
    {
        ShapeSize.Small => 16f,
        ShapeSize.Large => 30f,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, null),
    };

    /// <summary>Nominal centre of the object's bounding box.</summary>
    public static (float X, float Y) NominalCentre(ShapePosition position) => position switch
    {
        ShapePosition.Center => (32f, 32f),
        ShapePosition.Left => (17f, 32f),
        ShapePosition.Right => (47f, 32f),
        ShapePosition.Top => (32f, 17f),
        ShapePosition.Bottom => (32f, 47f),
        _ => throw new ArgumentOutOfRangeException(nameof(position), position, null),
    };
}
