using StyleBridge.Imaging.Containers;

namespace StyleBridge.Imaging.Codecs;

/// <summary>Header facts in stored (not yet oriented) pixel space, plus the container walk's findings.</summary>
internal readonly record struct StoredHeader(int Width, int Height, ExifOrientation Orientation, ContainerScan Scan)
{
    public int DisplayWidth => Exif.OrientationTransform.SwapsAxes(Orientation) ? Height : Width;
    public int DisplayHeight => Exif.OrientationTransform.SwapsAxes(Orientation) ? Width : Height;
    public int RgbLength => checked(3 * Width * Height);
}
