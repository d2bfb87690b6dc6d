using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StyleBridge.Engine.ModelSets;

/// <summary>
/// <c>manifest.json</c> of a model set: for every file its SHA-256, size, the command, seed and git revision that made
/// it, when it was recorded and its measured metrics.
/// <code>
/// { "files": { "clip.safetensors": { "sha256": "…", "bytes": 123, "command": "stylebridge train clip …", "seed": 1,
///   "revision": "git sha", "created": "2025-01-01T00:00:00Z", "metrics": { "retrieval_r1": 0.93 } } } }
/// </code>
/// Written indented with files and metrics in ordinal name order, so that a re-recorded manifest diffs cleanly.
/// </summary>
public sealed class ModelManifest
{
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // "…" and other non-ASCII characters of commands stay readable
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [JsonPropertyName("files")]
    public SortedDictionary<string, ModelFileEntry> Files { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The entry of <paramref name="fileName"/>, or null.</summary>
    public ModelFileEntry? Find(string fileName) => Files.TryGetValue(fileName, out var entry) ? entry : null;

    /// <summary>Reads <paramref name="path"/> (a manifest file, or a directory holding <c>manifest.json</c>).</summary>
    public static ModelManifest Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
            throw new ModelSetException($"{file}: no manifest; record the set's files with ModelManifest.Upsert (or name another set with --models DIR)");
        ModelManifest? manifest;
        try
        {
            using var stream = File.OpenRead(file);
            manifest = JsonSerializer.Deserialize<ModelManifest>(stream, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelSetException($"{file}: not a valid manifest: {e.Message}", e);
        }

        if (manifest is null)
            throw new ModelSetException($"{file}: not a valid manifest (null)");
        var files = new SortedDictionary<string, ModelFileEntry>(StringComparer.Ordinal);
        foreach (var (name, entry) in manifest.Files ?? new SortedDictionary<string, ModelFileEntry>())
        {
            if (entry is null || !IsSha256(entry.Sha256))
                throw new ModelSetException($"{file}: the entry '{name}' has no valid sha256 (64 hex digits)");
            files[name] = entry with
            {
                Sha256 = entry.Sha256.ToLowerInvariant(),
                Metrics = new SortedDictionary<string, double>(entry.Metrics ?? new SortedDictionary<string, double>(), StringComparer.Ordinal),
            };
        }

        return new ModelManifest { Files = files };
    }

    /// <summary>Writes the manifest to <paramref name="path"/> (a file, or a directory that receives <c>manifest.json</c>), replacing it atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        string temp = file + ".tmp";
        File.WriteAllText(temp, ToJson() + "\n");
        File.Move(temp, file, overwrite: true);
    }

    /// <summary>The manifest as indented JSON, files and metrics in ordinal order.</summary>
    public string ToJson()
    {
        var ordered = new ModelManifest();
        foreach (var (name, entry) in Files)
        {
            if (entry.Metrics.Values.Any(v => !double.IsFinite(v)))
                throw new ArgumentException($"the metrics of '{name}' must be finite numbers (JSON has no NaN or infinity)");
            ordered.Files[name] = entry with { Metrics = new SortedDictionary<string, double>(entry.Metrics, StringComparer.Ordinal) };
        }

        return JsonSerializer.Serialize(ordered, JsonOptions);
    }

    /// <summary>
    /// Hashes <c>directory/fileName</c> (SHA-256, streamed) and records it in <c>directory/manifest.json</c> (created
    /// if absent), replacing any earlier entry of that file. <paramref name="created"/> defaults to now (UTC).
    /// </summary>
    public static ModelFileEntry Upsert(string directory, string fileName, string command, long? seed, string revision,
        IReadOnlyDictionary<string, double>? metrics = null, DateTimeOffset? created = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(revision);
        if (fileName == FileName || fileName.Contains('/') || fileName.Contains('\\'))
            throw new ArgumentException($"'{fileName}' is not a file name of a model set", nameof(fileName));
        string path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} does not exist", path);

        var (sha, bytes) = Hash(path);
        var entry = new ModelFileEntry
        {
            Sha256 = sha,
            Bytes = bytes,
            Command = command,
            Seed = seed,
            Revision = revision,
            Created = (created ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            Metrics = new SortedDictionary<string, double>(
                (metrics ?? new Dictionary<string, double>()).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
        };

        var manifest = File.Exists(Path.Combine(directory, FileName)) ? Load(directory) : new ModelManifest();
        manifest.Files[fileName] = entry;
        manifest.Save(Path.Combine(directory, FileName));
        return entry;
    }

    /// <summary>The lowercase hex SHA-256 of a file and its length, read as a stream.</summary>
    public static (string Sha256, long Bytes) Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, FileOptions.SequentialScan);
        byte[] digest = SHA256.HashData(stream);
        return (Convert.ToHexStringLower(digest), stream.Length);
    }

    internal static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);
}

/// <summary>One file of a model set as its manifest records it.</summary>
public sealed record ModelFileEntry
{
    [JsonPropertyName("sha256")]
    public string Sha256 { get; init; } = "";

    [JsonPropertyName("bytes")]
    public long Bytes { get; init; }

    [JsonPropertyName("command")]
    public string Command { get; init; } = "";

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    [JsonPropertyName("revision")]
    public string Revision { get; init; } = "";

    /// <summary>ISO 8601 UTC, e.g. <c>2025-01-01T12:00:00Z</c>.</summary>
    [JsonPropertyName("created")]
    public string Created { get; init; } = "";

    [JsonPropertyName("metrics")]
    public SortedDictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
}
