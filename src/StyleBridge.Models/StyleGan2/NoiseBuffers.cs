using System.Globalization;
using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary>
/// rosinality's <c>noises</c> module: the constant noise maps <c>noise_i</c> [1, 1, R, R], one per styled conv in
/// forward order (noise_0 at 4×4, then two per resolution).
/// </summary>
public sealed class NoiseBuffers : Module
{
    private readonly List<Tensor> buffers = [];

    public NoiseBuffers(int count)
    {
        for (int i = 0; i < count; i++)
        {
            int r = Resolution(i);
            buffers.Add(RegisterBuffer("noise_" + i.ToString(CultureInfo.InvariantCulture), LibTorch.Randn([1, 1, r, r])));
        }
    }

    public int Count => buffers.Count;

    public Tensor this[int index] => buffers[index];

    /// <summary>Resolution of noise layer i: 4 for i = 0, else 2^⌊(i + 5)/2⌋.</summary>
    public static int Resolution(int index) => index == 0 ? 4 : 1 << ((index + 5) / 2);
}
