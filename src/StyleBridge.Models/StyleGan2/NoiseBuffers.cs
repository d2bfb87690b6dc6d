using System.Globalization;
using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's <c>noises</c> module: the constant noise maps <c>noise_i</c> [1, 1, R, R], one per styled conv in
/// forward order (noise_0 at 4×4, then two per resolution).
/// </summary>
public sealed class NoiseBuffers : TorchModule
{
    public NoiseBuffers(int count) : base(nameof(NoiseBuffers))
    {
        for (int i = 0; i < count; i++)
        {
            int r = Resolution(i);
            RegisterBuffer(Name(i), randn(new long[] { 1, 1, r, r }));
        }

        Count = count;
    }

    public int Count { get; }

    public Tensor this[int index] => Buffer(Name(index));

    private static string Name(int index) => "noise_" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Resolution of noise layer i: 4 for i = 0, else 2^⌊(i + 5)/2⌋.</summary>
    public static int Resolution(int index) => index == 0 ? 4 : 1 << ((index + 5) / 2);
}
