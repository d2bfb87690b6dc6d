using StyleBridge.Api.Contracts;
using StyleBridge.Engine.ModelSets;

namespace StyleBridge.Api.Services;

/// <summary>What the responses say about the model set, and its identity in cache keys.</summary>
public sealed class ModelDescriptor
{
    public ModelDescriptor(ModelSet set)
    {
        Set = set;
        var hashes = set.Manifest.Files.ToDictionary(kv => kv.Key, kv => kv.Value.Sha256, StringComparer.Ordinal);
        Info = new ModelInfo(Path.GetFileName(set.Directory.TrimEnd('/')), set.DisplayDirectory, hashes);
        Fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join(';', hashes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)))));
    }

    public ModelSet Set { get; }
    public ModelInfo Info { get; }

    /// <summary>SHA-256 over every weight hash of the set.</summary>
    public string Fingerprint { get; }
}
