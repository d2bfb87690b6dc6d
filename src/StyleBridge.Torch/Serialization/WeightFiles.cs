using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace StyleBridge.Torch.Serialization;

/// <summary>What a weight file is, judged from its leading bytes (and, for zips, its member names).</summary>
public enum WeightFileFormat
{
    Unknown,
    Empty,
    SafeTensors,
    /// <summary><c>torch.save</c> zip archive (PyTorch ≥ 1.6 default).</summary>
    TorchZip,
    /// <summary><c>torch.jit.save</c> archive (has <c>constants.pkl</c> / <c>code/</c>).</summary>
    TorchScript,
    /// <summary>Pre-1.6 <c>torch.save</c> stream, or <c>_use_new_zipfile_serialization=False</c>.</summary>
    TorchLegacy,
    /// <summary>The tar container of PyTorch ≤ 0.3.</summary>
    TorchLegacyTar,
    /// <summary>A plain Python pickle (e.g. an NVlabs network <c>.pkl</c>).</summary>
    Pickle,
    Npy,
    /// <summary>A zip archive that is not a torch archive.</summary>
    Zip,
}

/// <summary>Format detection and a single entry point for loading a state dict from any supported file.</summary>
public static class WeightFiles
{
    // 119547037146038801333356, the legacy torch.save magic number, as the LONG1 opcode writes it.
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>
    /// The file a path names, symbolic links followed to the end (model directories are often links into a cache):
    /// a link's own <see cref="FileInfo.Length"/> and write time are those of the link, not of the weights.
    /// </summary>
    public static FileInfo Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }

    public static WeightFileFormat Detect(string path)
    {
        using var file = OpenRead(path);
        return Detect(path, file);
    }

    /// <summary>
    /// Loads the tensors of a safetensors file, a <c>torch.save</c> state dict (or the dict under
    /// <paramref name="key"/>, e.g. <c>"g_ema"</c>) or a TorchScript module. The caller owns the result.
    /// </summary>
    public static StateDict LoadStateDict(string path, string? key = null) => Detect(path) switch
    {
        WeightFileFormat.SafeTensors when key is null => SafeTensors.Load(path),
        WeightFileFormat.SafeTensors => throw new WeightFormatException(path, $"a safetensors file holds one flat set of tensors; key '{key}' does not apply"),
        _ => TorchCheckpoint.LoadStateDict(path, key),
    };

    internal static SafeFileHandle OpenRead(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WeightFormatException(path, $"cannot open: {e.Message}", e);
        }
    }

    internal static WeightFileFormat Detect(string path, SafeFileHandle file)
    {
        long length = RandomAccess.GetLength(file);
        if (length == 0)
            return WeightFileFormat.Empty;
        var head = new byte[(int)Math.Min(length, 512)];
        ZipDirectory.ReadExactly(path, file, head, 0);

        if (head.AsSpan().StartsWith("PK\x03\x04"u8) || head.AsSpan().StartsWith("PK\x05\x06"u8))
            return DetectZip(path, file);
        if (head.AsSpan().StartsWith(LegacyMagic))
            return WeightFileFormat.TorchLegacy;
        if (head.Length >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8))
            return WeightFileFormat.TorchLegacyTar;
        if (head.AsSpan().StartsWith(Npy.Magic))
            return WeightFileFormat.Npy;
        if (head.Length >= 10 && head[8] == (byte)'{')
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (n >= 2 && n <= (ulong)(length - 8))
                return WeightFileFormat.SafeTensors;
        }
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5)
            return WeightFileFormat.Pickle;
        return WeightFileFormat.Unknown;
    }

    private static WeightFileFormat DetectZip(string path, SafeFileHandle file)
    {
        ZipDirectory zip;
        try
        {
            zip = ZipDirectory.Read(path, file);
        }
        catch (WeightFormatException)
        {
            return WeightFileFormat.Zip; // a zip signature with a broken directory: let the reader report it
        }
        string? prefix = TorchArchive.FindPrefix(zip);
        if (prefix is null)
            return WeightFileFormat.Zip;
        return TorchArchive.HasTorchScriptMembers(zip, prefix) ? WeightFileFormat.TorchScript : WeightFileFormat.TorchZip;
    }

    /// <summary>Why a file that should be a torch zip archive cannot be read as one.</summary>
    internal static string DescribeUnsupported(WeightFileFormat format, string path, SafeFileHandle file) => format switch
    {
        WeightFileFormat.Empty => "the file is empty",
        WeightFileFormat.TorchLegacy =>
            "legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False) is not supported; " +
            "re-save it with a current PyTorch (torch.save(torch.load(f), f2)) or convert it to safetensors",
        WeightFileFormat.TorchLegacyTar =>
            "legacy tar torch.save format (PyTorch ≤ 0.3) is not supported; re-save it with a current PyTorch or convert it to safetensors",
        WeightFileFormat.Pickle =>
            "a plain Python pickle, not a torch.save zip archive; pickled Python objects (e.g. NVlabs network .pkl files) " +
            "need their Python code to load, which this reader never runs; convert the file to safetensors offline",
        WeightFileFormat.SafeTensors => "a safetensors file, not a torch archive; read it with SafeTensors.Load",
        WeightFileFormat.Npy => "a NumPy .npy file, not a torch archive; read it with Npy.Load",
        WeightFileFormat.Zip => "a zip archive without '<name>/data.pkl'; not a torch.save or TorchScript archive (or its directory is corrupt)",
        _ => $"not a torch.save zip archive (starts with {LeadingBytes(path, file)})",
    };

    private static string LeadingBytes(string path, SafeFileHandle file)
    {
        var head = new byte[(int)Math.Min(RandomAccess.GetLength(file), 8)];
        ZipDirectory.ReadExactly(path, file, head, 0);
        return string.Join(' ', head.Select(b => b.ToString("x2")));
    }
}
