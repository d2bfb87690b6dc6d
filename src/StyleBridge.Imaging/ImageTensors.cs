using StyleBridge.Torch;

namespace StyleBridge.Imaging;

/// <summary>Batches of <see cref="RgbImage"/> to and from float NCHW tensors, with the references' exact float32 arithmetic.</summary>
public static class ImageTensors
{
    /// <summary>
    /// Stacks equally sized images into a float32 [N, 3, H, W] tensor on <paramref name="device"/> (CPU by default).
    /// Only the uint8 bytes travel to the device; the float ops there are torchvision's, in its order:
    /// ToTensor = float(b) / 255, then for <see cref="PixelRange.MinusOneToOne"/> Normalize(0.5, 0.5) = (t - 0.5) / 0.5.
    /// </summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images, PixelRange range = PixelRange.MinusOneToOne, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("at least one image is required", nameof(images));
        int width = images[0].Width, height = images[0].Height;
        int imageBytes = 3 * width * height;
        var hwc = new byte[checked((long)images.Count * imageBytes)];
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Width != width || image.Height != height)
                throw new ArgumentException($"image {i} is {image.Width}x{image.Height}, image 0 is {width}x{height}", nameof(images));
            image.Pixels.CopyTo(hwc, (long)i * imageBytes);
        }

        using var bytes = Tensor.FromBytes(hwc, ScalarType.UInt8, [images.Count, height, width, 3], device);
        using var floats = bytes.To(ScalarType.Float32);
        using var unit = floats.Div(255);
        using var nchw = unit.Permute(0, 3, 1, 2);
        if (range == PixelRange.ZeroToOne) return nchw.Contiguous();
        if (range != PixelRange.MinusOneToOne) throw new ArgumentOutOfRangeException(nameof(range));
        using var centred = nchw.Sub(0.5);
        using var scaled = centred.Div(0.5);
        return scaled.Contiguous();
    }

    /// <summary>
    /// Generator output [N, 3, H, W] in [-1, 1] (any floating dtype, any device) to 8-bit images, exactly as the reference
    /// code saves them with torchvision 0.14 <c>save_image(x, normalize=True, value_range=(-1, 1))</c>
    /// (rosinality's <c>range=(-1, 1)</c>). torchvision computes, per element,
    /// <c>t = (clamp(x, -1, 1) + 1) / 2</c>, then <c>uint8(clamp(t * 255 + 0.5, 0, 255))</c> with the cast truncating.
    /// We compute <c>uint8(clamp((x + 1) * 127.5 + 0.5, 0, 255))</c>, which is bit-identical in float32: dividing by 2
    /// is exact, so <c>fl(fl(x + 1) / 2 * 255) = fl(fl(x + 1) * 127.5)</c>; and the early clamp to [-1, 1] only
    /// matters outside that range, where both forms saturate at 0 or 255. Adding 0.5 before truncation rounds half up.
    /// </summary>
    public static RgbImage[] FromTensor(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Dim != 4 || images.Size(1) != 3)
            throw new ArgumentException($"expected [N, 3, H, W], got [{string.Join(", ", images.Shape)}]", nameof(images));
        if (!images.Dtype.IsFloatingPoint())
            throw new ArgumentException($"expected a floating-point tensor, got {images.Dtype}", nameof(images));

        long n = images.Size(0), height = images.Size(2), width = images.Size(3);
        using var shifted = images.Add(1);
        using var scaled = shifted.Mul(127.5);
        using var rounded = scaled.Add(0.5);
        using var clamped = rounded.Clamp(0, 255);
        using var bytes = clamped.To(ScalarType.UInt8);
        using var nhwc = bytes.Permute(0, 2, 3, 1);
        using var contiguous = nhwc.Contiguous();
        var all = contiguous.ToArray<byte>();

        long imageBytes = 3 * width * height;
        var result = new RgbImage[n];
        for (long i = 0; i < n; i++)
            result[i] = new RgbImage((int)width, (int)height, all.AsSpan((int)(i * imageBytes), (int)imageBytes).ToArray());
        return result;
    }
}
