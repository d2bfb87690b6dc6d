using StyleBridge.Torch;

namespace StyleBridge.Models.StyleGan2;

/// <summary>The learned 4×4 input, <c>input</c> [1, C, 4, 4], repeated over the batch.</summary>
public sealed class ConstantInput : TorchModule
{
    public ConstantInput(int channels, int size = 4) : base(nameof(ConstantInput))
    {
        using (no_grad())
            RegisterParameter("input", randn(new long[] { 1, channels, size, size }));
    }

    public Parameter Input => Param("input");

    public Tensor Forward(long batch) => Input.repeat(batch, 1, 1, 1);
}
