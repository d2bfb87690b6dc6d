namespace StyleBridge.Engine.World;

/// <summary>An sRGB colour as bytes.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public override string ToString() => $"({R}, {G}, {B})";
}
