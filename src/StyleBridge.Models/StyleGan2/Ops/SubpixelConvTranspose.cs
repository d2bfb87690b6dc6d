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
        if (x.Dim != 4 || weight.Dim != 4 || weight.Size(2) != 3 || weight.Size(3) != 3)
            throw new ArgumentException($"expected x [N, C, H, W] and a 3×3 weight, got [{string.Join(", ", x.Shape)}] and [{string.Join(", ", weight.Shape)}]");
        using var scope = TensorScope.Begin();
        long n = x.Size(0), h = x.Size(2), w = x.Size(3), channels = weight.Size(0);

        var output = LibTorch.Empty([n, channels, 2 * h + 3, 2 * w + 3], x.Dtype, x.Device);
        output.Select(2, 0).Zero_();
        output.Select(3, 0).Zero_();
        var inner = output.Slice(2, 1).Slice(3, 1);        // conv_transpose2d's 2H+1 rows, plus one row that comes out zero
        var flipped = weight.Flip(2, 3);
        for (int ry = 0; ry < 2; ry++)
        {
            for (int rx = 0; rx < 2; rx++)
            {
                // taps of parity (ry, rx): 2 (ry = 0) or 1 (ry = 1) per axis; padding 1 gives H+1 (resp. H+2, skip the first) rows
                var kernel = flipped.Slice(2, ry, null, 2).Slice(3, rx, null, 2);
                var phase = Functional.Conv2d(x, kernel, null, 1, 1, 1, groups);
                inner.Slice(2, ry, null, 2).Slice(3, rx, null, 2).Copy_(phase.Slice(2, ry).Slice(3, rx));
            }
        }

        return output.MoveToOuterScope();
    }
}
