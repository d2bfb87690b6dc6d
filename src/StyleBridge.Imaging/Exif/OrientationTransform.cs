namespace StyleBridge.Imaging.Exif;

/// <summary>Turns a stored image into its displayed form for each of the 8 EXIF orientations.</summary>
internal static class OrientationTransform
{
    public static bool SwapsAxes(ExifOrientation o) => o >= ExifOrientation.LeftTop;

    public static RgbImage Apply(RgbImage stored, ExifOrientation orientation)
    {
        if (orientation == ExifOrientation.TopLeft) return stored;

        int w = stored.Width, h = stored.Height;
        bool swap = SwapsAxes(orientation);
        var display = new RgbImage(swap ? h : w, swap ? w : h);

        // Displayed pixel (r, c) comes from stored pixel index origin + r*stepR + c*stepC, i.e. stored (row, col):
        //   2: (r, w-1-c)   3: (h-1-r, w-1-c)   4: (h-1-r, c)
        //   5: (c, r)       6: (h-1-c, r)       7: (h-1-c, w-1-r)   8: (c, w-1-r)
        long last = (long)(h - 1) * w;
        (long origin, long stepR, long stepC) = orientation switch
        {
            ExifOrientation.TopRight => (w - 1, w, -1),
            ExifOrientation.BottomRight => (last + w - 1, -w, -1),
            ExifOrientation.BottomLeft => (last, -w, 1),
            ExifOrientation.LeftTop => (0L, 1L, (long)w),
            ExifOrientation.RightTop => (last, 1, -w),
            ExifOrientation.RightBottom => (last + w - 1, -1, -w),
            ExifOrientation.LeftBottom => (w - 1, -1, w),
            _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
        };

        var src = stored.Pixels;
        var dst = display.Pixels;
        int outW = display.Width, outH = display.Height;
        int d = 0;
        for (int r = 0; r < outH; r++)
        {
            long s = origin + r * stepR;
            for (int c = 0; c < outW; c++, s += stepC, d += 3)
            {
                long si = 3 * s;
                dst[d] = src[si];
                dst[d + 1] = src[si + 1];
                dst[d + 2] = src[si + 2];
            }
        }
        return display;
    }
}
