using System.Text;
using Microsoft.Win32.SafeHandles;

namespace StyleBridge.Torch.Serialization;

/// <summary>
/// A zip archive written by <c>torch.save</c> or <c>torch.jit.save</c>: members
/// <c>&lt;name&gt;/data.pkl</c>, <c>&lt;name&gt;/data/&lt;key&gt;</c> (raw little-endian storages),
/// <c>&lt;name&gt;/version</c>, optionally <c>byteorder</c>, and for TorchScript
/// <c>constants.pkl</c>, <c>constants/&lt;key&gt;</c> and <c>code/…</c>.
/// </summary>
internal sealed class TorchArchive : IDisposable
{
    private readonly SafeFileHandle _file;

    private TorchArchive(string path, SafeFileHandle file, ZipDirectory zip, string prefix)
    {
        Path = path;
        _file = file;
        Zip = zip;
        Prefix = prefix;
    }

    public string Path { get; }
    public ZipDirectory Zip { get; }

    /// <summary>The archive's top folder including the slash, e.g. <c>tiny_ckpt/</c>.</summary>
    public string Prefix { get; }

    public bool IsTorchScript => HasTorchScriptMembers(Zip, Prefix);

    public static TorchArchive Open(string path)
    {
        var file = WeightFiles.OpenRead(path);
        try
        {
            var format = WeightFiles.Detect(path, file);
            if (format is not (WeightFileFormat.TorchZip or WeightFileFormat.TorchScript or WeightFileFormat.Zip))
                throw new WeightFormatException(path, WeightFiles.DescribeUnsupported(format, path, file));
            var zip = ZipDirectory.Read(path, file); // for a broken zip this names the actual problem
            string prefix = FindPrefix(zip)
                ?? throw new WeightFormatException(path, WeightFiles.DescribeUnsupported(WeightFileFormat.Zip, path, file));
            var archive = new TorchArchive(path, file, zip, prefix);
            archive.CheckByteOrder();
            return archive;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    internal static string? FindPrefix(ZipDirectory zip)
    {
        foreach (var e in zip.Entries)
        {
            int slash = e.Name.IndexOf('/');
            if (slash > 0 && e.Name.AsSpan(slash + 1).SequenceEqual("data.pkl"))
                return e.Name[..(slash + 1)];
        }
        return null;
    }

    internal static bool HasTorchScriptMembers(ZipDirectory zip, string prefix) =>
        zip.Find(prefix + "constants.pkl") is not null
        || zip.Entries.Any(e => e.Name.StartsWith(prefix + "code/", StringComparison.Ordinal));

    public ZipEntry? FindRecord(string name) => Zip.Find(Prefix + name);

    public byte[] ReadRecord(string name) =>
        Zip.ReadAll(FindRecord(name) ?? throw new WeightFormatException(Path, $"archive member '{Prefix}{name}' is missing"));

    /// <summary>
    /// Runs the restricted unpickler on <paramref name="record"/>. Storages come back as
    /// <see cref="PickledStorage"/> (one object per key) and tensors as <see cref="PickledTensor"/>;
    /// no tensor data is read.
    /// </summary>
    public object? ReadPickle(string record = "data.pkl")
    {
        var storages = new Dictionary<string, PickledStorage>(StringComparer.Ordinal);
        string source = $"{Path}:{Prefix}{record}";
        return PickleMachine.Load(ReadRecord(record), source, pid => PersistentLoad(pid, storages, source));
    }

    /// <summary>The zip member holding storage <paramref name="key"/> under <paramref name="folder"/> (<c>data</c> or <c>constants</c>).</summary>
    public ZipEntry StorageEntry(string folder, string key) =>
        FindRecord($"{folder}/{key}")
        ?? throw new WeightFormatException(Path, $"storage '{key}' is referenced by the pickle but archive member '{Prefix}{folder}/{key}' is missing");

    /// <summary><c>('storage', storage_type, key, location, numel)</c>.</summary>
    private static PickledStorage PersistentLoad(object? pid, Dictionary<string, PickledStorage> storages, string source)
    {
        if (pid is not object?[] { Length: 5 } id || id[0] is not "storage")
            throw new WeightFormatException(source, $"unsupported persistent id {PickleFormat.Repr(pid)}; expected ('storage', type, key, location, numel)");
        if (!TorchGlobals.TryGetStorageDtype(id[1], out var dtype))
            throw new WeightFormatException(source, $"unsupported storage type {PickleFormat.Repr(id[1])} in persistent id {PickleFormat.Repr(pid)}");
        string key = id[2] switch
        {
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new WeightFormatException(source, $"storage key {PickleFormat.Repr(id[2])} is not a string"),
        };
        if (id[4] is not long numel || numel < 0)
            throw new WeightFormatException(source, $"storage '{key}' has an invalid element count {PickleFormat.Repr(id[4])}");
        string location = id[3] as string ?? "cpu";
        if (storages.TryGetValue(key, out var known))
        {
            if (known.Dtype != dtype || known.Numel != numel)
                throw new WeightFormatException(source, $"storage '{key}' is referenced as both {known.Dtype}[{known.Numel}] and {dtype}[{numel}]");
            return known;
        }
        var storage = new PickledStorage(key, dtype, location, numel);
        storages.Add(key, storage);
        return storage;
    }

    private void CheckByteOrder()
    {
        var entry = FindRecord("byteorder");
        if (entry is null)
            return; // archives before PyTorch 1.13-ish have none and are little-endian
        string order = Encoding.ASCII.GetString(Zip.ReadAll(entry)).Trim();
        if (order == "big")
            throw new WeightFormatException(Path, "the archive was written on a big-endian machine (byteorder record 'big'); only little-endian archives are supported");
        if (order != "little")
            throw new WeightFormatException(Path, $"unknown byteorder record '{order}'");
    }

    public void Dispose() => _file.Dispose();
}
