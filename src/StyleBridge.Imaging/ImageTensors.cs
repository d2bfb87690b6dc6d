using StyleBridge.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBridge.Imaging;

/// <summary>Batches of <see cref="RgbImage"/> to and from float NCHW tensors, with the references' exact float32 arithmetic.</summary>
public static class ImageTensors
{
    /// <summary>
    /// Stacks equally sized images into a float32 [N, 3, H, W] tensor on <paramref name="device"/> (CPU by default).
    /// Only the uint8 bytes travel to the device; the float ops there are torchvision's, in its order:
    /// ToTensor = float(b) / 255, then for <see cref="PixelRange.MinusOneToOne"/> Normalize(0.5, 0.5) = (t - 0.5) / 0.5.
    /// The caller owns (disposes) the result; every intermediate tensor is disposed here.
    /// </summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images, PixelRange range = PixelRange.MinusOneToOne, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("at least one image is required", nameof(images));
        if (range is not (PixelRange.ZeroToOne or PixelRange.MinusOneToOne)) throw new ArgumentOutOfRangeException(nameof(range));
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

        using var scope = NewDisposeScope();
        var bytes = tensor(hwc, [images.Count, height, width, 3], ScalarType.Byte, device);
        var unit = bytes.to_type(ScalarType.Float32).DivScalar(255);
        var nchw = unit.permute(0, 3, 1, 2);
        var result = range == PixelRange.ZeroToOne ? nchw.contiguous() : nchw.SubScalar(0.5).DivScalar(0.5).contiguous();
        return result.MoveToOuterDisposeScope();
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
        if (images.dim() != 4 || images.size(1) != 3)
            throw new ArgumentException($"expected [N, 3, H, W], got [{string.Join(", ", images.shape)}]", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"expected a floating-point tensor, got {images.dtype}", nameof(images));

        long n = images.size(0), height = images.size(2), width = images.size(3);
        byte[] all;
        using (NewDisposeScope())
        {
            var bytes = images.AddScalar(1).MulScalar(127.5).AddScalar(0.5).ClampScalar(0, 255).to_type(ScalarType.Byte);
            all = bytes.permute(0, 2, 3, 1).contiguous().cpu().data<byte>().ToArray();
        }

        long imageBytes = 3 * width * height;
        var result = new RgbImage[n];
        for (long i = 0; i < n; i++)
            result[i] = new RgbImage((int)width, (int)height, all.AsSpan((int)(i * imageBytes), (int)imageBytes).ToArray());
        return result;
    }
}
