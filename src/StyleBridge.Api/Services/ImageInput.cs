using StyleBridge.Imaging;
using StyleBridge.Models.Clip;

namespace StyleBridge.Api.Services;

/// <summary>An uploaded image: size checked before decoding, decoded by our limits, resized to the generator's size, as [−1, 1] floats.</summary>
public sealed class ImageInputException(int status, string type, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
}

public static class ImageInput
{
    /// <summary>Base64 or a data URL to bytes (size checked before decoding).</summary>
    public static byte[] FromText(string text, int maxBytes)
    {
        string payload = text;
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            int comma = text.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || !text[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                throw new ImageInputException(StatusCodes.Status400BadRequest, "malformed_request", "image: a data URL must be base64 (data:image/png;base64,...)");
            payload = text[(comma + 1)..];
        }
        if ((long)payload.Length * 3 / 4 > maxBytes)
            throw new ImageInputException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"image: larger than {maxBytes} bytes");
        try
        {
            return Convert.FromBase64String(payload);
        }
        catch (FormatException)
        {
            throw new ImageInputException(StatusCodes.Status400BadRequest, "malformed_request", "image: not valid base64");
        }
    }

    /// <summary>Decodes (limits first), resizes to size × size (Pillow bicubic) and returns [1, 3, size, size] floats in [−1, 1].</summary>
    public static float[] Decode(byte[] bytes, int size, int maxBytes)
    {
        if (bytes.Length > maxBytes)
            throw new ImageInputException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"image: larger than {maxBytes} bytes");
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(bytes, ImageLimits.Default);
        }
        catch (ImageDecodeException e)
        {
            bool tooLarge = e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("pixels", StringComparison.OrdinalIgnoreCase);
            throw tooLarge
                ? new ImageInputException(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "image: " + e.Message)
                : new ImageInputException(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "image: " + e.Message);
        }
        if (image.Width != size || image.Height != size)
            image = PillowBicubic.Resize(image, size, size);
        using var scope = NewDisposeScope();
        return ImageTensors.ToTensor([image]).contiguous().data<float>().ToArray();
    }
}
