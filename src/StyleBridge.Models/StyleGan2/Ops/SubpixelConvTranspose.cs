using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2.Ops;

/// <summary>
/// <c>conv_transpose2d(x, w, stride 2)</c> for a 3×3 kernel, computed as its four sub-pixel phases. Output pixel
/// (2m + ry, 2m' + rx) only meets kernel taps of parity (ry, rx), so each phase is an ordinary convolution of x
/// (zero-padded by one) with those taps of the flipped kernel (2×2, 2×1, 1×2 or 1×1), and the phases interleave.
/// Same arithmetic as the transposed convolution, run by libtorch's faster forward kernels: on the CPU this is
/// 15–30 % quicker than its transposed convolution at the resolutions of a 1024² generator.
/// </summary>
public static class SubpixelConvTranspose
{
    /// <summary>
    /// <c>pad(conv_transpose2d(x, wᵀ, stride 2, groups), 1)</c>: the transposed convolution with the one-pixel zero
    /// border the up-conv blur pads with, [N, G·C_out, 2H + 3, 2W + 3].
    /// </summary>
    /// <param name="x">[N, G·C_in, H, W].</param>
    /// <param name="weight">[G·C_out, C_in, 3, 3] in convolution layout: the transposed convolution's
    /// [C_in, C_out] weight of each group with its first two axes swapped.</param>
    public static Tensor Stride2WithBorder(Tensor x, Tensor weight, long groups = 1)
    {
        if (x.dim() != 4 || weight.dim() != 4 || weight.size(2) != 3 || weight.size(3) != 3)
            throw new ArgumentException($"expected x [N, C, H, W] and a 3×3 weight, got [{string.Join(", ", x.shape)}] and [{string.Join(", ", weight.shape)}]");
        using var scope = NewDisposeScope();
        long n = x.size(0), h = x.size(2), w = x.size(3), channels = weight.size(0);

        var output = empty(new long[] { n, channels, 2 * h + 3, 2 * w + 3 }, x.dtype, x.device);
        output.select(2, 0).zero_();
        output.select(3, 0).zero_();
        var inner = output.slice(2, 1, long.MaxValue, 1).slice(3, 1, long.MaxValue, 1);        // conv_transpose2d's 2H+1 rows, plus one row that comes out zero
        var flipped = weight.flip(2, 3);
        for (int ry = 0; ry < 2; ry++)
        {
            for (int rx = 0; rx < 2; rx++)
            {
                // taps of parity (ry, rx): 2 (ry = 0) or 1 (ry = 1) per axis; padding 1 gives H+1 (resp. H+2, skip the first) rows
                var kernel = flipped.slice(2, ry, long.MaxValue, 2).slice(3, rx, long.MaxValue, 2);
                var phase = Functional.Conv2d(x, kernel, null, 1, 1, 1, groups);
                inner.slice(2, ry, long.MaxValue, 2).slice(3, rx, long.MaxValue, 2).copy_(phase.slice(2, ry, long.MaxValue, 1).slice(3, rx, long.MaxValue, 1));
            }
        }

        return output.MoveToOuterDisposeScope();
    }
}
