namespace StyleBridge.Torch.Serialization;

/// <summary>
/// Managed reader for TorchScript archives (<c>torch.jit.save</c>, e.g. OpenAI's released CLIP
/// <c>ViT-B-32.pt</c>): the parameters and buffers of the module tree under their
/// <c>state_dict</c> names, without libtorch's TorchScript loader.
/// </summary>
public static class TorchScriptArchive
{
    /// <summary>
    /// All tensor attributes of the module tree (or of the submodule at <paramref name="submodule"/>),
    /// in <c>state_dict</c> order. For traced <c>nn.Module</c>s this is exactly <c>state_dict()</c>.
    /// The caller owns the result.
    /// </summary>
    public static StateDict LoadStateDict(string path, string? submodule = null)
    {
        RequireTorchScript(path);
        return TorchCheckpoint.LoadStateDict(path, submodule);
    }

    /// <summary>The names and descriptions <see cref="LoadStateDict"/> would return; reads no tensor data.</summary>
    public static IReadOnlyList<KeyValuePair<string, PickledTensor>> InspectStateDict(string path, string? submodule = null)
    {
        RequireTorchScript(path);
        return TorchCheckpoint.InspectStateDict(path, submodule);
    }

    /// <summary>
    /// The graph constants of <c>constants.pkl</c> (a tuple; tensors live under <c>constants/</c>),
    /// e.g. a traced attention mask. Named by their index. The caller owns the result.
    /// </summary>
    public static StateDict LoadConstants(string path)
    {
        using var archive = TorchArchive.Open(path);
        if (!archive.IsTorchScript)
            throw new WeightFormatException(path, "not a TorchScript archive (no constants.pkl or code/)");
        var constants = archive.ReadPickle("constants.pkl") as object?[]
            ?? throw new WeightFormatException(path, "constants.pkl does not hold a tuple");
        using var loader = new StorageLoader(archive, "constants");
        var result = new StateDict();
        try
        {
            for (int i = 0; i < constants.Length; i++)
            {
                if (constants[i] is PickledTensor t)
                    result.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), TorchCheckpoint.Owned(loader.Materialize(t, $"constant {i}")));
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static void RequireTorchScript(string path)
    {
        var format = WeightFiles.Detect(path);
        if (format == WeightFileFormat.TorchZip)
            throw new WeightFormatException(path, "a torch.save archive, not a TorchScript archive; use TorchCheckpoint.LoadStateDict");
        // everything else is either TorchScript or gets its precise error from TorchArchive.Open
    }
}
