namespace StyleBridge.Torch.Serialization;

/// <summary>
/// Tensors viewing a weight file in place. The file is mapped copy-on-write once per element type (libtorch's
/// <c>from_file</c>); a tensor whose data is aligned to its element size is a view of that mapping (the view keeps
/// it alive after this object is disposed), an unaligned one is read and copied.
/// </summary>
internal sealed class FileMaps(string path) : IDisposable
{
    private readonly Dictionary<ScalarType, Tensor> _maps = [];

    /// <summary>A new tensor (owned by the caller) over <paramref name="shape"/> elements of <paramref name="dtype"/> at byte <paramref name="offset"/>.</summary>
    public Tensor View(long offset, ScalarType dtype, long[] shape)
    {
        int size = dtype.ElementSize();
        long numel = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (numel == 0)
            return zeros(shape, dtype).DetachFromDisposeScope();
        if (offset % size != 0)
            return ReadCopy(offset, dtype, shape, numel * size);

        if (!_maps.TryGetValue(dtype, out var map))
        {
            map = TensorBytes.MapFile(path, dtype).DetachFromDisposeScope();
            _maps.Add(dtype, map);
        }
        using var flat = map.narrow(0, offset / size, numel);
        return flat.view(shape).DetachFromDisposeScope();
    }

    private Tensor ReadCopy(long offset, ScalarType dtype, long[] shape, long byteLength)
    {
        var data = new byte[byteLength];
        using (var file = WeightFiles.OpenRead(path))
            ZipDirectory.ReadExactly(path, file, data, offset);
        return TensorBytes.FromBytes(data, dtype, shape).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var map in _maps.Values)
            map.Dispose();
        _maps.Clear();
    }
}
