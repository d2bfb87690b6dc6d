using StyleBridge.Torch;
using StyleBridge.Models.StyleGan2.Ops;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// Style-modulated convolution. The style <c>s = modulation(w)</c> [N, C_in] (an S-space vector) scales the input
/// channels of the raw weight <c>weight</c> [1, C_out, C_in, k, k]; with demodulation every output filter of every
/// sample is then normalised to unit norm. The up variant is a stride-2 transposed conv followed by <see cref="Blur"/>.
/// </summary>
public sealed class ModulatedConv2d : Module
{
    private const double Epsilon = 1e-8;

    public ModulatedConv2d(int inChannel, int outChannel, int kernelSize, int styleDim, bool demodulate = true, bool upsample = false,
        IReadOnlyList<int>? blurKernel = null, DemodulationEpsilon epsilon = DemodulationEpsilon.Rosinality,
        ModulatedConvPath path = ModulatedConvPath.Auto)
    {
        InChannel = inChannel;
        OutChannel = outChannel;
        KernelSize = kernelSize;
        Demodulate = demodulate;
        EpsilonPlacement = epsilon;
        Path = path;
        Scale = 1 / Math.Sqrt(inChannel * kernelSize * kernelSize);
        using (LibTorch.NoGrad())
            Weight = RegisterParameter("weight", LibTorch.Randn([1, outChannel, inChannel, kernelSize, kernelSize]));
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

    public Tensor Weight { get; }
    public Blur? Blur { get; }
    public EqualLinear Modulation { get; }

    /// <summary>
    /// <c>gain · (modconv(x, s) + bias)</c>: x [N, C_in, H, W], s [N, C_in] → [N, C_out, H', W'] with H' = 2H for the
    /// up variant. <paramref name="bias"/> [C_out] and <paramref name="gain"/> let the caller fold the activation's
    /// bias and √2 into the convolution instead of spending extra passes over the output.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor s, Tensor? bias = null, double gain = 1)
    {
        if (x.Dim != 4 || x.Size(1) != InChannel || s.Dim != 2 || s.Size(0) != x.Size(0) || s.Size(1) != InChannel)
            throw new ArgumentException($"modulated conv {InChannel}→{OutChannel}: got x [{string.Join(", ", x.Shape)}], s [{string.Join(", ", s.Shape)}]");
        using var scope = TensorScope.Begin();
        var output = KernelSize == 1 && !Upsample ? ForwardPointwise(x, s, bias, gain)
            : UseFused(x) ? ForwardFused(x, s, bias, gain)
            : ForwardNonFused(x, s, bias, gain);
        return output.MoveToOuterScope();
    }

    /// <summary>
    /// The per-sample weight <c>gain · scale · W · s</c>, demodulated: [N, C_out, C_in, k, k] in the parameter dtype.
    /// The demodulation factor comes from the filter energies, <c>d[n,o] = rsqrt(Σ_i (scale·s[n,i])² Σ_kk W[o,i]² + ε)</c>,
    /// so W is read three times rather than five. NVIDIA's ε placement is rosinality's with ε·scale².
    /// </summary>
    public Tensor ModulatedWeight(Tensor s, double gain = 1)
    {
        using var scope = TensorScope.Begin();
        long n = s.Size(0);
        var style = s.To(Weight.Dtype).Mul(Scale);                                     // [N, I]
        Tensor factor;                                                                  // [N, O, I]
        if (Demodulate)
        {
            var energy = Weight.View(OutChannel, InChannel, KernelSize * KernelSize).Square().Sum(2);   // [O, I]
            var demod = style.Square().Matmul(energy.T()).Add(DemodEpsilon).Rsqrt();                   // [N, O]
            if (gain != 1)
                demod = demod.Mul(gain);
            factor = demod.Unsqueeze(2).Mul(style.Unsqueeze(1));
        }
        else
        {
            factor = (gain == 1 ? style : style.Mul(gain)).Unsqueeze(1).Expand(n, OutChannel, InChannel);
        }

        return Weight.Mul(factor.View(n, OutChannel, InChannel, 1, 1)).MoveToOuterScope();
    }

    private double DemodEpsilon => EpsilonPlacement == DemodulationEpsilon.Nvidia ? Epsilon * Scale * Scale : Epsilon;

    // float16 must stay fused: x·s would be formed in half precision (NVIDIA pre-normalises for that case).
    private bool UseFused(Tensor x) => Path != ModulatedConvPath.NonFused || x.Dtype == ScalarType.Float16;

    // A 1×1 modulated conv (ToRGB) is a batched matrix product: [N, C_out, C_in] @ [N, C_in, H·W], bias included.
    private Tensor ForwardPointwise(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.Size(0), h = x.Size(2), w = x.Size(3);
        var weight = ModulatedWeight(s, gain).View(n, OutChannel, InChannel);
        if (weight.Dtype != x.Dtype)
            weight = weight.To(x.Dtype);
        var input = x.Reshape(n, InChannel, h * w);
        var output = bias is null ? weight.Bmm(input) : Functional.Baddbmm(ScaledBias(bias, gain, x.Dtype).View(1, OutChannel, 1), weight, input);
        return output.View(n, OutChannel, h, w);
    }

    // One grouped convolution with groups = N over x viewed as [1, N·C_in, H, W].
    private Tensor ForwardFused(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.Size(0), h = x.Size(2), w = x.Size(3), k = KernelSize;
        var weight = ModulatedWeight(s, gain);
        if (weight.Dtype != x.Dtype)
            weight = weight.To(x.Dtype);
        var b = bias is null ? null : ScaledBias(bias, gain, x.Dtype);
        if (b is not null && n > 1)
            b = b.Repeat(n);
        var input = x.Reshape(1, n * InChannel, h, w);

        if (!Upsample)
        {
            var output = Functional.Conv2d(input, weight.View(n * OutChannel, InChannel, k, k), b, 1, k / 2, 1, n);
            return output.View(n, OutChannel, h, w);
        }

        var blurred = UpsampleAndBlur(input, weight.View(n * OutChannel, InChannel, k, k), n, b);
        return blurred.View(n, OutChannel, blurred.Size(2), blurred.Size(3));
    }

    // One convolution with the shared weight over the batch: conv(x·s, scale·W)·demod + bias.
    private Tensor ForwardNonFused(Tensor x, Tensor s, Tensor? bias, double gain)
    {
        long n = x.Size(0), k = KernelSize;
        bool inPlace = !LibTorch.IsGradEnabled;
        var style = s.To(x.Dtype).View(n, InChannel, 1, 1);
        var input = x.Mul(style);
        var weight = Weight.View(OutChannel, InChannel, k, k).Mul(Scale * gain).To(x.Dtype);
        var b = bias is null ? null : ScaledBias(bias, gain, x.Dtype);

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
        var energy = Weight.View(OutChannel, InChannel, k * k).Square().Sum(2);
        var demod = s.To(Weight.Dtype).Mul(Scale).Square().Matmul(energy.T()).Add(DemodEpsilon).Rsqrt().To(x.Dtype).View(n, OutChannel, 1, 1);
        if (inPlace)
        {
            output.Mul_(demod);
            if (b is not null)
                output.Add_(b.View(1, OutChannel, 1, 1));
            return output;
        }

        var scaled = output.Mul(demod);
        return b is null ? scaled : scaled.Add(b.View(1, OutChannel, 1, 1));
    }

    /// <summary>
    /// The stride-2 transposed conv (output 2H+1, kernel unflipped, weight [G·C_out, C_in, k, k]) and then the blur
    /// (pad 1 each side) to 2H. A 3×3 kernel runs as sub-pixel convolutions that already carry the blur's border.
    /// </summary>
    private Tensor UpsampleAndBlur(Tensor input, Tensor weight, long groups, Tensor? bias)
    {
        using var scope = TensorScope.Begin();
        if (KernelSize == 3 && Blur!.Pad == (1, 1))
            return Blur.Forward(SubpixelConvTranspose.Stride2WithBorder(input, weight, groups), bias, bordered: true).MoveToOuterScope();

        // conv_transpose2d takes [C_in, C_out/groups, k, k] per group
        long k = KernelSize;
        var transposed = weight.View(groups, OutChannel, InChannel, k, k).Transpose(1, 2).Reshape(groups * InChannel, OutChannel, k, k);
        var up = Functional.ConvTranspose2d(input, transposed, null, 2, 0, 0, groups);
        return Blur!.Forward(up, bias).MoveToOuterScope();
    }

    private static Tensor ScaledBias(Tensor bias, double gain, ScalarType dtype)
    {
        var b = bias.Reshape(-1);
        if (gain != 1)
            b = b.Mul(gain);
        return b.To(dtype);
    }
}
