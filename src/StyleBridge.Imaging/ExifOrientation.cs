namespace StyleBridge.Imaging;

/// <summary>
/// EXIF/TIFF tag 0x0112. The name says where the stored 0th row and 0th column lie in the displayed image,
/// e.g. <see cref="RightTop"/>: the stored first row is the displayed right column, the stored first column the displayed top row
/// (the picture must be turned 90° clockwise to display).
/// </summary>
public enum ExifOrientation : ushort
{
    TopLeft = 1,
    TopRight = 2,
    BottomRight = 3,
    BottomLeft = 4,
    LeftTop = 5,
    RightTop = 6,
    RightBottom = 7,
    LeftBottom = 8,
}
