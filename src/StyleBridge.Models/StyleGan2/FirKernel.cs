using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>rosinality's <c>make_kernel</c>: a separable 1-D FIR kernel as its normalised 2-D outer product.</summary>
public static class FirKernel
{
    public static Tensor Make(IReadOnlyList<int> taps, double gain = 1)
    {
        double sum = taps.Sum() * (double)taps.Sum();
        var values = new float[taps.Count * taps.Count];
        for (int i = 0; i < taps.Count; i++)
            for (int j = 0; j < taps.Count; j++)
                values[i * taps.Count + j] = (float)(taps[i] * (double)taps[j] / sum * gain);
        return Functional.FromArray(values, taps.Count, taps.Count);
    }

    /// <summary>Python's floor division (the padding formulas can go negative).</summary>
    internal static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);
}
