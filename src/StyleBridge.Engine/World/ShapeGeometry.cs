namespace StyleBridge.Engine.World;

/// <summary>Point-in-shape tests and bounding boxes in continuous pixel coordinates (see <see cref="WorldLayout"/>).</summary>
public static class ShapeGeometry
{
    /// <summary>Height of the equilateral triangle with base <paramref name="side"/>: side·√3/2.</summary>
    public static double TriangleHeight(double side) => side * Math.Sqrt(3) / 2;

    /// <summary>The object's bounding box: [Left, Right] × [Top, Bottom], unclipped (it may extend past the image).</summary>
    public static (double Left, double Top, double Right, double Bottom) Bounds(ShapeScene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        double halfWidth = scene.Side / 2.0;
        double halfHeight = scene.Shape == Shape.Triangle ? TriangleHeight(scene.Side) / 2 : halfWidth;
        return (scene.CenterX - halfWidth, scene.CenterY - halfHeight, scene.CenterX + halfWidth, scene.CenterY + halfHeight);
    }

    /// <summary>Whether the point (<paramref name="x"/>, <paramref name="y"/>) lies in the object (boundary included).</summary>
    public static bool Contains(ShapeScene scene, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(scene);
        double half = scene.Side / 2.0;
        double dx = x - scene.CenterX, dy = y - scene.CenterY;
        switch (scene.Shape)
        {
            case Shape.Circle:
                return dx * dx + dy * dy <= half * half;
            case Shape.Square:
                return Math.Abs(dx) <= half && Math.Abs(dy) <= half;
            case Shape.Triangle:
                // Apex up at (cx, cy - h/2), base from (cx - side/2, cy + h/2) to (cx + side/2, cy + h/2): at depth
                // d below the apex the triangle is d·(side/2)/h wide on each side of the vertical axis.
                double height = TriangleHeight(scene.Side);
                double depth = dy + height / 2;
                return depth >= 0 && depth <= height && Math.Abs(dx) * height <= depth * half;
            default:
                throw new ArgumentOutOfRangeException(nameof(scene), scene.Shape, null);
        }
    }
}
