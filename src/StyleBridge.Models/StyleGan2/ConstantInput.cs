using StyleBridge.Torch;
using StyleBridge.Torch.NN;

namespace StyleBridge.Models.StyleGan2;

/// <summary>The learned 4×4 input, <c>input</c> [1, C, 4, 4], repeated over the batch.</summary>
public sealed class ConstantInput : Module
{
    public ConstantInput(int channels, int size = 4)
    {
        using (LibTorch.NoGrad())
            Input = RegisterParameter("input", LibTorch.Randn([1, channels, size, size]));
    }

    public Tensor Input { get; }

    public Tensor Forward(long batch) => Input.Repeat(batch, 1, 1, 1);
}
