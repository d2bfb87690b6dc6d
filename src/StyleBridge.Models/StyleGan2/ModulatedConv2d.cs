using StyleBridge.Torch;
using StyleBridge.Models.StyleGan2.Ops;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// Style-modulated convolution. The style <c>s = modulation(w)</c> [N, C_in] (an S-space vector) scales the input
/// channels of the raw weight <c>weight</c> [1, C_out, C_in, k, k]; with demodulation every output filter of every
/// sample is then normalised to unit norm. The up variant is a stride-2 transposed conv followed by <see cref="Blur"/>.
/// </summary>
public sealed class ModulatedConv2d : TorchModule
{
    private const double Epsilon = 1e-8;

    public ModulatedConv2d(int inChannel, int outChannel, int kernelSize, int styleDim, bool demodulate = true, bool upsample = false,
        IReadOnlyList<int>? blurKernel = null, DemodulationEpsilon epsilon = DemodulationEpsilon.Rosinality,
        ModulatedConvPath path = ModulatedConvPath.Auto) : base(nameof(ModulatedConv2d))
    {
        InChannel = inChannel;
        OutChannel = outChannel;
        KernelSize = kernelSize;
        Demodulate = demodulate;
        EpsilonPlacement = epsilon;
        Path = path;
        Scale = 1 / Math.Sqrt(inChannel * kernelSize * kernelSize);
        using (no_grad())
            RegisterParameter("weight", randn(new long[] { 1, outChannel, inChannel, kernelSize, kernelSize }));
        if (upsample)
        {
            const int factor = 2;
            var taps = blurKernel ?? [1, 3, 3, 1];
            int p = taps.Count - factor - (kernelSize - 1);
            Blur = RegisterModule("blur", new Blur(taps, (FirKernel.FloorDiv(p + 1, 2) + factor - 1, FirKernel.FloorDiv(p, 2) + 1), factor));
        }

        Modulation = RegisterModule("modulation", new EqualLinear(styleDim, inChannel, biasInit: 1));
    }

    public int InChannel { get; }
    public int OutChannel { get; }
    public int KernelSize { get; }
    public bool Demodulate { get; }
    public bool Upsample => Blur is not null;
    public DemodulationEpsilon EpsilonPlacement { get; }
    public ModulatedConvPath Path { get; }

    /// <summary>Equalised-lr factor 1/√(C_in·k²) (NVIDIA's weight_gain).</summary>
    public double Scale { get; }

    public Parameter Weight => Param("weight");
    public Blur? Blur { get; }
    public EqualLinear Modulation { get; }

    /// <summary>
    /// <c>gain · (modconv(x, s) + bias)</c>: x [N, C_in, H, W], s [N, C_in] → [N, C_out, H', W'] with H' = 2H for the
    /// up variant. <paramref name="bias"/> [C_out] and <paramref name="gain"/> let the caller fold the activation's
    /// bias and √2 into the convolution instead of spending extra passes over the output.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor s, Tensor? bias = null, double gain = 1)
    {
        if (x.dim() != 4 || x.size(1) != InChannel || s.dim() != 2 || s.size(0) != x.size(0) || s.size(1) != InChannel)
            throw new ArgumentException($"modulated conv {InChannel}→{OutChannel}: got x [{string.Join(", ", x.shape)}], s [{string.Join(", ", s.shape)}]");
        using var scope = NewDisposeScope();
        var output = KernelSize == 1 && !Upsample ? ForwardPointwise(x, s, bias, gain)
            : UseFused(x) ? ForwardFused(x, s, bias, gain)
            : ForwardNonFused(x, s, bias, gain);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The per-sample weight <c>gain · scale · W · s</c>, demodulated: [N, C_out, C_in, k, k] in the parameter dtype.
    /// The demodulation factor comes from the filter energies, <c>d[n,o] = rsqrt(Σ_i (scale·s[n,i])² Σ_kk W[o,i]² + ε)</c>,
    /// so W is read three times rather than five. NVIDIA's ε placement is rosinality's with ε·scale².
    /// </summary>
    public Tensor ModulatedWeight(Tensor s, double gain = 1)
    {
        using var scope = NewDisposeScope();
        long n = s.size(0);
        var style = s.to(Weight.dtype).MulScalar(Scale);                                     // [N, I]
        Tensor factor;                                                                  // [N, O, I]
        if (Demodulate)
        {
            var energy = Weight.view(OutChannel, InChannel, KernelSize * KernelSize).square().sum(2);   // [O, I]
            var demod = style.square().matmul(energy.t()).AddScalar(DemodEpsilon).rsqrt();                   // [N, O]
            if (gain != 1)
                demod = demod.MulScalar(gain);
            factor = demod.unsqueeze(2).mul(style.unsqueeze(1));
        }
        else
        {
            factor = (gain == 1 ? style : style.MulScalar(gain)).unsqueeze(1).expand(n, OutChannel, InChannel);
        }

        return Weight.mul(factor.view(n, OutChannel, InChannel, 1, 1)).MoveToOuterDisposeScope();
    }

    private double DemodEpsilon => EpsilonPlacement == DemodulationEpsilon.Nvidia ? Epsilon * Scale * Scale : Epsilon;

    // float16 must stay fused: x·s would be formed in half precision (NVIDIA pre-normalises for that case).
    private bool UseFused(Tensor x) => Path != ModulatedConvPath.NonFused || x.dtype == ScalarType.Float16;

    // A 1×1 modulated conv (ToRGB) is a batched matrix product: [N, C_out, C_in] @ [N, C_in, H·W], bias included.
    private Tensor ForwardPointwise(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.size(0), h = x.size(2), w = x.size(3);
        var weight = ModulatedWeight(s, gain).view(n, OutChannel, InChannel);
        if (weight.dtype != x.dtype)
            weight = weight.to(x.dtype);
        var input = x.reshape(n, InChannel, h * w);
        var output = bias is null ? weight.bmm(input) : Functional.Baddbmm(ScaledBias(bias, gain, x.dtype).view(1, OutChannel, 1), weight, input);
        return output.view(n, OutChannel, h, w);
    }

    // One grouped convolution with groups = N over x viewed as [1, N·C_in, H, W].
    private Tensor ForwardFused(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.size(0), h = x.size(2), w = x.size(3), k = KernelSize;
        var weight = ModulatedWeight(s, gain);
        if (weight.dtype != x.dtype)
            weight = weight.to(x.dtype);
        var b = bias is null ? null : ScaledBias(bias, gain, x.dtype);
        if (b is not null && n > 1)
            b = b.repeat(n);
        var input = x.reshape(1, n * InChannel, h, w);

        if (!Upsample)
        {
            var output = Functional.Conv2d(input, weight.view(n * OutChannel, InChannel, k, k), b, 1, k / 2, 1, n);
            return output.view(n, OutChannel, h, w);
        }

        var blurred = UpsampleAndBlur(input, weight.view(n * OutChannel, InChannel, k, k), n, b);
        return blurred.view(n, OutChannel, blurred.size(2), blurred.size(3));
    }

    // One convolution with the shared weight over the batch: conv(x·s, scale·W)·demod + bias.
    private Tensor ForwardNonFused(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.size(0), k = KernelSize;
        bool inPlace = !is_grad_enabled();
        var style = s.to(x.dtype).view(n, InChannel, 1, 1);
        var input = x.mul(style);
        var weight = Weight.view(OutChannel, InChannel, k, k).MulScalar(Scale * gain).to(x.dtype);
        var b = bias is null ? null : ScaledBias(bias, gain, x.dtype);

        // Without demodulation the bias is shared by the batch and rides in the convolution.
        var convBias = Demodulate ? null : b;
        Tensor output;
        if (Upsample)
        {
            output = UpsampleAndBlur(input, weight, 1, convBias);
            input.Dispose();
        }
        else
        {
            output = Functional.Conv2d(input, weight, convBias, 1, k / 2);
            input.Dispose();
        }

        if (!Demodulate)
            return output;

        // demod[n, o] = rsqrt(Σ_i (scale·s[n,i])² · Σ_kk W[o,i]² + ε)
        var energy = Weight.view(OutChannel, InChannel, k * k).square().sum(2);
        var demod = s.to(Weight.dtype).MulScalar(Scale).square().matmul(energy.t()).AddScalar(DemodEpsilon).rsqrt().to(x.dtype).view(n, OutChannel, 1, 1);
        if (inPlace)
        {
            output.mul_(demod);
            if (b is not null)
                output.add_(b.view(1, OutChannel, 1, 1));
            return output;
        }

        var scaled = output.mul(demod);
        return b is null ? scaled : scaled.add(b.view(1, OutChannel, 1, 1));
    }

    /// <summary>
    /// The stride-2 transposed conv (output 2H+1, kernel unflipped, weight [G·C_out, C_in, k, k]) and then the blur
    /// (pad 1 each side) to 2H. A 3×3 kernel runs as sub-pixel convolutions that already carry the blur's border.
    /// </summary>
    private Tensor UpsampleAndBlur(Tensor input, Tensor weight, long groups, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        if (KernelSize == 3 && Blur!.Pad == (1, 1))
            return Blur.Forward(SubpixelConvTranspose.Stride2WithBorder(input, weight, groups), bias, bordered: true).MoveToOuterDisposeScope();

        // conv_transpose2d takes [C_in, C_out/groups, k, k] per group
        long k = KernelSize;
        var transposed = weight.view(groups, OutChannel, InChannel, k, k).transpose(1, 2).reshape(groups * InChannel, OutChannel, k, k);
        var up = Functional.ConvTranspose2d(input, transposed, null, 2, 0, 0, groups);
        return Blur!.Forward(up, bias).MoveToOuterDisposeScope();
    }

    private static Tensor ScaledBias(Tensor bias, double gain, ScalarType dtype)
    {
        var b = bias.reshape(-1);
        if (gain != 1)
            b = b.MulScalar(gain);
        return b.to(dtype);
    }
}
