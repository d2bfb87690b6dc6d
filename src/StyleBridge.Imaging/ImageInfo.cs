namespace StyleBridge.Imaging;

/// <summary>What the header says, before any pixel is decoded. <see cref="Width"/> and <see cref="Height"/> are as displayed (after <see cref="Orientation"/>).</summary>
public sealed record ImageInfo(ImageFormat Format, int Width, int Height, ExifOrientation Orientation);
