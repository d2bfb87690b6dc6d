using TorchSharp;
using static TorchSharp.torch;

namespace StyleBridge.Torch;

/// <summary>Raw little-endian bytes to and from CPU tensors, and files mapped as tensors.</summary>
public static class TensorBytes
{
    /// <summary>A new tensor of <paramref name="dtype"/> and <paramref name="shape"/> holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType dtype, long[] shape)
    {
        long numel = 1;
        foreach (long d in shape)
            numel = checked(numel * d);
        if (checked(numel * dtype.ElementSize()) != data.Length)
            throw new ArgumentException($"{data.Length} bytes cannot hold [{string.Join(", ", shape)}] of {dtype}", nameof(data));
        var tensor = empty(shape, dtype);
        if (data.Length > 0)
            data.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>The elements in C order as bytes (any device, any layout).</summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
        var contiguous = cpu.contiguous();
        return contiguous.numel() == 0 ? [] : contiguous.bytes.ToArray();
    }

    /// <summary>
    /// The file mapped copy-on-write (libtorch's <c>from_file</c>, unshared) as a 1-D tensor of <paramref name="dtype"/>
    /// covering its first ⌊length / element size⌋ elements. Views into it keep the mapping alive.
    /// </summary>
    public static Tensor MapFile(string path, ScalarType dtype)
    {
        long length = Serialization.WeightFiles.Resolve(path).Length;
        long count = length / dtype.ElementSize();
        return from_file(path, shared: false, size: count, dtype: dtype);
    }

    /// <summary>Shape as "[a, b, c]" for messages.</summary>
    public static string Format(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
