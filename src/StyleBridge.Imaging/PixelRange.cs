namespace StyleBridge.Imaging;

/// <summary>How 8-bit samples map to floats.</summary>
public enum PixelRange
{
    /// <summary>torchvision ToTensor: b / 255.</summary>
    ZeroToOne,

    /// <summary>ToTensor then Normalize(mean 0.5, std 0.5): (b / 255 - 0.5) / 0.5, the StyleGAN / e4e input convention.</summary>
    MinusOneToOne,
}
