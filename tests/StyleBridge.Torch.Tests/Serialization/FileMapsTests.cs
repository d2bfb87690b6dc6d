using System.Buffers.Binary;
using System.IO.Compression;
using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>
/// Tensors over a weight file: aligned data is a view of one copy-on-write mapping per element type, unaligned data
/// is read and copied; neither ever writes the file.
/// </summary>
public sealed class FileMapsTests : IDisposable
{
    private const string CheckpointFolder = "stylegan2/rosinality";
    private const string CheckpointFile = "tiny_ckpt.pt";
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AlignedDataIsViewedUnalignedDataIsCopied()
    {
        // 8 floats (0.5, 1.5, ...) then 5 spare bytes
        string path = _temp.File("raw.bin");
        var bytes = new byte[8 * 4 + 5];
        for (int i = 0; i < 8; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), i + 0.5f);
        File.WriteAllBytes(path, bytes);

        Tensor whole, tail, shifted;
        using (var maps = new FileMaps(path))
        {
            whole = maps.View(0, ScalarType.Float32, [2, 4]);
            tail = maps.View(16, ScalarType.Float32, [4]);
            shifted = maps.View(2, ScalarType.Float32, [3]);
        }

        using (whole)
        using (tail)
        using (shifted)
        {
            // the views outlive the FileMaps that made them
            Assert.Equal(Enumerable.Range(0, 8).Select(i => i + 0.5f), whole.Values<float>());
            Assert.Equal([4.5f, 5.5f, 6.5f, 7.5f], tail.Values<float>());
            float[] expectedShifted = Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(2 + i * 4))).ToArray();
            Assert.Equal(expectedShifted, shifted.Values<float>());

            // aligned views share the one mapping; the unaligned copy does not
            whole.fill_(-1f);
            Assert.Equal([-1f, -1f, -1f, -1f], tail.Values<float>());
            Assert.Equal(expectedShifted, shifted.Values<float>());
        }

        Assert.Equal(bytes, File.ReadAllBytes(path)); // copy-on-write: the file never changes
    }

    [Fact]
    public void EmptyViewsNeedNoData()
    {
        string path = _temp.File("one.bin");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        using var maps = new FileMaps(path);

        using var empty = maps.View(3, ScalarType.Float64, [0, 5]);

        Assert.Equal([0L, 5], empty.shape);
        Assert.Equal(ScalarType.Float64, empty.dtype);
    }

    [Fact]
    public void UnalignedStoredZipMembersLoadBitForBit()
    {
        string original = Golden.File(CheckpointFolder, CheckpointFile);
        string path = Rewrite(original, CompressionLevel.NoCompression, out int unaligned);

        Assert.True(unaligned > 0, "the rewritten archive has no unaligned float32 storage, so the copy path is untested");
        using var expected = TorchCheckpoint.LoadStateDict(original, "g_ema");
        using var actual = TorchCheckpoint.LoadStateDict(path, "g_ema");

        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, actual[name], name);
    }

    [Fact]
    public void DeflatedZipMembersLoadBitForBit()
    {
        string original = Golden.File(CheckpointFolder, CheckpointFile);
        string path = Rewrite(original, CompressionLevel.Optimal, out _);

        using (var archive = TorchArchive.Open(path))
            Assert.Contains(archive.Zip.Entries, e => e.Name.Contains("/data/", StringComparison.Ordinal) && e.Method == ZipEntry.Deflate);
        using var expected = TorchCheckpoint.LoadStateDict(original, "g_ema");
        using var actual = TorchCheckpoint.LoadStateDict(path, "g_ema");

        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, t) in expected)
            TensorAssert.BitEqual(t, actual[name], name);
    }

    /// <summary>
    /// Copies a torch archive member by member with <paramref name="level"/>, after a padding member whose length
    /// (1 to 4 bytes) is chosen to leave as many float32 storages as possible off a 4-byte boundary.
    /// </summary>
    private string Rewrite(string source, CompressionLevel level, out int unalignedStorages)
    {
        string best = "";
        unalignedStorages = -1;
        for (int pad = 1; pad <= 4; pad++)
        {
            string path = _temp.File($"rewritten-{level}-{pad}.pt");
            using (var input = ZipFile.OpenRead(source))
            using (var output = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                string prefix = input.Entries[0].FullName[..(input.Entries[0].FullName.IndexOf('/') + 1)];
                using (var padding = output.CreateEntry(prefix + "padding", CompressionLevel.NoCompression).Open())
                    padding.Write(new byte[pad]);
                foreach (var entry in input.Entries)
                {
                    using var from = entry.Open();
                    using var to = output.CreateEntry(entry.FullName, level).Open();
                    from.CopyTo(to);
                }
            }

            int count = UnalignedFloatStorages(path);
            if (count > unalignedStorages)
            {
                unalignedStorages = count;
                best = path;
            }
        }
        return best;
    }

    private static int UnalignedFloatStorages(string path)
    {
        using var archive = TorchArchive.Open(path);
        var keys = TorchCheckpoint.InspectStateDict(path, "g_ema")
            .Where(e => e.Value.Dtype == ScalarType.Float32)
            .Select(e => e.Value.Storage.Key)
            .ToHashSet(StringComparer.Ordinal);
        return keys.Select(k => archive.StorageEntry("data", k))
            .Count(e => e.Method == ZipEntry.Stored && archive.Zip.DataOffset(e) % 4 != 0);
    }
}
