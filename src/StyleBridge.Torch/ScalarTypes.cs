using TorchSharp;

namespace StyleBridge.Torch;

/// <summary>Facts about element types that the weight formats need (TorchSharp's numbering is c10's).</summary>
public static class ScalarTypes
{
    public static int ElementSize(this torch.ScalarType type) => type switch
    {
        torch.ScalarType.Byte or torch.ScalarType.Int8 or torch.ScalarType.Bool => 1,
        torch.ScalarType.Int16 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16 => 2,
        torch.ScalarType.Int32 or torch.ScalarType.Float32 => 4,
        torch.ScalarType.Int64 or torch.ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no weight format stores this element type"),
    };

    public static bool IsFloatingPoint(this torch.ScalarType type) =>
        type is torch.ScalarType.Float16 or torch.ScalarType.Float32 or torch.ScalarType.Float64 or torch.ScalarType.BFloat16;
}
