using StyleBridge.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBridge.Imaging.Tests;

/// <summary>Runs on TorchSharp's CPU libtorch (the TorchSharp-cpu package).</summary>
public class ImageTensorsTests
{
    private static float At(float[] nchw, int channels, int h, int w, int n, int c, int y, int x) =>
        nchw[((n * channels + c) * h + y) * w + x];

    [Fact]
    public void ToTensor_zero_to_one_is_nchw_b_over_255()
    {
        var images = new[] { TestImages.Unique(5, 3), TestImages.Noise(5, 3, 1) };
        using var t = ImageTensors.ToTensor(images, PixelRange.ZeroToOne);

        Assert.Equal(new long[] { 2, 3, 3, 5 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.True(t.is_contiguous());
        var v = t.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
        for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
        {
            var (r, g, b) = images[n].GetPixel(x, y);
            Assert.Equal(r / 255f, At(v, 3, 3, 5, n, 0, y, x));
            Assert.Equal(g / 255f, At(v, 3, 3, 5, n, 1, y, x));
            Assert.Equal(b / 255f, At(v, 3, 3, 5, n, 2, y, x));
        }
    }

    [Fact]
    public void ToTensor_minus_one_to_one_matches_torchvision_normalize_bitwise()
    {
        // All 256 levels once: 256 pixels wide, R = level, G = 255 - level, B = level / 2.
        var image = new RgbImage(256, 1);
        for (int x = 0; x < 256; x++) image.SetPixel(x, 0, (byte)x, (byte)(255 - x), (byte)(x / 2));
        using var t = ImageTensors.ToTensor([image], PixelRange.MinusOneToOne);

        Assert.Equal(new long[] { 1, 3, 1, 256 }, t.shape);
        var v = t.data<float>().ToArray();
        for (int x = 0; x < 256; x++)
        {
            var (r, g, b) = image.GetPixel(x, 0);
            Assert.Equal((r / 255f - 0.5f) / 0.5f, At(v, 3, 1, 256, 0, 0, 0, x));
            Assert.Equal((g / 255f - 0.5f) / 0.5f, At(v, 3, 1, 256, 0, 1, 0, x));
            Assert.Equal((b / 255f - 0.5f) / 0.5f, At(v, 3, 1, 256, 0, 2, 0, x));
        }
        Assert.Equal(-1f, v[0]);
        Assert.Equal(1f, v[255]);
    }

    /// <summary>torchvision 0.14 save_image(normalize=True, value_range=(-1, 1)), step by step in float32.</summary>
    private static byte TorchvisionSaveImage(float x)
    {
        float t = (Math.Clamp(x, -1f, 1f) - -1f) / 2f;
        float v = Math.Clamp(t * 255f + 0.5f, 0f, 255f);
        return (byte)v;
    }

    [Fact]
    public void FromTensor_matches_torchvision_save_image_bitwise()
    {
        var rng = new Random(42);
        const int h = 16, w = 64;
        var values = new float[3 * h * w];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2.6 - 1.3);
        // Values on and next to every rounding boundary: (k + 0.5) / 127.5 - 1 and their float neighbours.
        for (int k = 0; k < 255 && 3 * k + 2 < values.Length; k++)
        {
            float edge = (k + 0.5f) / 127.5f - 1f;
            values[3 * k] = edge;
            values[3 * k + 1] = MathF.BitDecrement(edge);
            values[3 * k + 2] = MathF.BitIncrement(edge);
        }
        values[^1] = -1f;
        values[^2] = 1f;
        values[^3] = 0f;

        using var t = tensor(values, [1, 3, h, w]);
        var image = Assert.Single(ImageTensors.FromTensor(t));

        Assert.Equal((w, h), (image.Width, image.Height));
        for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            float value = values[(c * h + y) * w + x];
            Assert.Equal(TorchvisionSaveImage(value), image.Pixels[(y * w + x) * 3 + c]);
        }
        // The three fixed values sit in the blue channel of the last three pixels: 0 -> 128, 1 -> 255, -1 -> 0.
        Assert.Equal(128, image.GetPixel(w - 3, h - 1).B);
        Assert.Equal(255, image.GetPixel(w - 2, h - 1).B);
        Assert.Equal(0, image.GetPixel(w - 1, h - 1).B);
    }

    [Fact]
    public void FromTensor_splits_the_batch_and_lays_out_rgb()
    {
        // Image n, channel c is the constant (n * 3 + c) / 10 - 0.5.
        const int n = 3, h = 2, w = 4;
        var values = new float[n * 3 * h * w];
        for (int i = 0; i < values.Length; i++) values[i] = (i / (h * w)) / 10f - 0.5f;
        using var t = tensor(values, [n, 3, h, w]);

        var images = ImageTensors.FromTensor(t);
        Assert.Equal(n, images.Length);
        for (int img = 0; img < n; img++)
        {
            var expected = Enumerable.Range(0, 3).Select(c => TorchvisionSaveImage((img * 3 + c) / 10f - 0.5f)).ToArray();
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal((expected[0], expected[1], expected[2]), images[img].GetPixel(x, y));
        }
    }

    [Fact]
    public void Uint8_round_trip_through_minus_one_to_one_is_exact()
    {
        var images = new[] { TestImages.Noise(32, 8, 5), TestImages.Unique(32, 8) };
        using var t = ImageTensors.ToTensor(images);
        var back = ImageTensors.FromTensor(t);
        Assert.Equal(images[0].Pixels, back[0].Pixels);
        Assert.Equal(images[1].Pixels, back[1].Pixels);
    }

    [Fact]
    public void ToTensor_on_an_explicit_cpu_device_equals_the_default()
    {
        var images = new[] { TestImages.Noise(6, 4, 8) };
        using var byDefault = ImageTensors.ToTensor(images);
        using var onCpu = ImageTensors.ToTensor(images, PixelRange.MinusOneToOne, CPU);
        Assert.Equal(DeviceType.CPU, onCpu.device_type);
        Assert.Equal(byDefault.data<float>().ToArray(), onCpu.data<float>().ToArray());
    }

    [Fact]
    public void FromTensor_reads_a_non_contiguous_view_and_double_input()
    {
        // The same values as NHWC storage viewed as NCHW (a permute, not contiguous), and as a contiguous float64 copy.
        const int h = 3, w = 5;
        var nhwc = new float[h * w * 3];
        for (int i = 0; i < nhwc.Length; i++) nhwc[i] = i / (float)nhwc.Length * 2f - 1f;
        using var storage = tensor(nhwc, [1, h, w, 3]);
        using var view = storage.permute(0, 3, 1, 2);
        Assert.False(view.is_contiguous());
        using var asDouble = view.to_type(ScalarType.Float64).contiguous();

        var fromView = Assert.Single(ImageTensors.FromTensor(view));
        Assert.Equal(nhwc.Select(TorchvisionSaveImage).ToArray(), fromView.Pixels);
        Assert.Equal(fromView.Pixels, Assert.Single(ImageTensors.FromTensor(asDouble)).Pixels);
    }

    [Fact]
    public void Rejects_bad_inputs()
    {
        Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor([TestImages.Unique(4, 4), TestImages.Unique(4, 5)]));
        Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor(Array.Empty<RgbImage>()));
        using var gray = tensor(new float[16], [1, 1, 4, 4]);
        Assert.Throws<ArgumentException>(() => ImageTensors.FromTensor(gray));
        using var ints = tensor(new int[48], [1, 3, 4, 4]);
        Assert.Throws<ArgumentException>(() => ImageTensors.FromTensor(ints));
    }
}
