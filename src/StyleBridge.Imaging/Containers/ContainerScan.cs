namespace StyleBridge.Imaging.Containers;

/// <summary>What a walk over a file's segments/chunks found: where the EXIF block is, and whether the structure is broken.</summary>
internal readonly record struct ContainerScan(Range? Exif, ImageDecodeReason? Problem = null, string? ProblemMessage = null)
{
    public ExifOrientation Orientation(ReadOnlySpan<byte> data) =>
        Exif is { } r ? StyleBridge.Imaging.Exif.ExifReader.ReadOrientation(data[r]) : ExifOrientation.TopLeft;

    public void ThrowIfProblem(ImageFormat format)
    {
        if (Problem is { } reason) throw new ImageDecodeException(reason, format, ProblemMessage ?? reason.ToString());
    }
}
