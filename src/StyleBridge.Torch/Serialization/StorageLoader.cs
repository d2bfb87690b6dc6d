namespace StyleBridge.Torch.Serialization;

/// <summary>
/// Turns <see cref="PickledTensor"/> descriptions into tensors. Each storage is materialised once:
/// a stored (uncompressed) member becomes a view of the memory-mapped archive (<see cref="FileMaps"/>), a deflated one is
/// inflated into a fresh tensor. Each tensor is then <c>as_strided</c> over its storage, so views,
/// offsets and non-contiguous strides come out as they were saved.
/// </summary>
internal sealed class StorageLoader : IDisposable
{
    private readonly TorchArchive _archive;
    private readonly string _folder;
    private readonly Dictionary<string, Tensor> _storages = new(StringComparer.Ordinal);
    private readonly FileMaps _maps;

    /// <param name="folder"><c>data</c> for <c>data.pkl</c>, <c>constants</c> for TorchScript's <c>constants.pkl</c></param>
    public StorageLoader(TorchArchive archive, string folder = "data")
    {
        _archive = archive;
        _folder = folder;
        _maps = new FileMaps(archive.Path);
    }

    /// <summary>A new tensor (owned by the caller) viewing the saved data.</summary>
    public Tensor Materialize(PickledTensor t, string name)
    {
        CheckBounds(t, name);
        var storage = GetStorage(t.Storage);
        return storage.as_strided(t.Size.ToArray(), t.Stride.ToArray(), storage.storage_offset() + t.StorageOffset).DetachFromDisposeScope();
    }

    private void CheckBounds(PickledTensor t, string name)
    {
        string Problem(string what) => $"tensor '{name}' (size [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}], offset {t.StorageOffset}) {what}";
        if (t.StorageOffset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
            throw new WeightFormatException(_archive.Path, Problem("has a negative size, stride or offset"));
        if (t.Size.Any(s => s == 0))
        {
            if (t.StorageOffset > t.Storage.Numel)
                throw new WeightFormatException(_archive.Path, Problem($"starts past the end of storage '{t.Storage.Key}' ({t.Storage.Numel} elements)"));
            return;
        }
        try
        {
            long last = t.StorageOffset;
            for (int i = 0; i < t.Size.Count; i++)
                last = checked(last + (t.Size[i] - 1) * t.Stride[i]);
            if (last >= t.Storage.Numel)
                throw new WeightFormatException(_archive.Path, Problem($"reaches element {last} of storage '{t.Storage.Key}', which has {t.Storage.Numel}"));
        }
        catch (OverflowException e)
        {
            throw new WeightFormatException(_archive.Path, Problem("overflows"), e);
        }
    }

    private Tensor GetStorage(PickledStorage s)
    {
        if (_storages.TryGetValue(s.Key, out var cached))
            return cached;
        var entry = _archive.StorageEntry(_folder, s.Key);
        int itemSize = s.Dtype.ElementSize();
        long bytes = s.Numel * itemSize; // numel comes from a pickled int, but an archive member bounds it below
        if (s.Numel > long.MaxValue / Math.Max(itemSize, 1) || entry.UncompressedSize != bytes)
            throw new WeightFormatException(_archive.Path,
                $"storage '{s.Key}' should hold {s.Numel} {s.Dtype} elements but member '{entry.Name}' has {entry.UncompressedSize} bytes");

        Tensor storage;
        if (bytes == 0)
            storage = zeros([0], s.Dtype);
        else if (entry.Method == ZipEntry.Stored)
            storage = _maps.View(_archive.Zip.DataOffset(entry), s.Dtype, [s.Numel]);
        else
            storage = TensorBytes.FromBytes(_archive.Zip.ReadAll(entry), s.Dtype, [s.Numel]);
        storage.DetachFromDisposeScope();
        _storages.Add(s.Key, storage);
        return storage;
    }

    public void Dispose()
    {
        foreach (var t in _storages.Values)
            t.Dispose();
        _storages.Clear();
        _maps.Dispose();
    }
}
