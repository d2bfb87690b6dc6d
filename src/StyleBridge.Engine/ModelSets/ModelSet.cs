using System.Collections.Concurrent;
using StyleBridge.Models.Clip;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;
using Generator = StyleBridge.Models.StyleGan2.Generator;

namespace StyleBridge.Engine.ModelSets;

/// <summary>
/// A directory of model files with a <c>manifest.json</c> (<see cref="ModelManifest"/>): by default the trained Shapes
/// models (<c>weights/shapes/</c>). Every file is checked against its recorded SHA-256 before it is used
/// (<see cref="PathOf"/>); a changed, missing or unrecorded file is refused with a <see cref="ModelSetException"/>.
/// </summary>
public sealed class ModelSet
{
    public const string ClipFile = "clip.safetensors";
    public const string GeneratorFile = "stylegan2.safetensors";
    public const string OracleFile = "oracle.safetensors";
    public const string VocabFile = "bpe_simple_vocab_16e6.txt.gz";
    public const string PriorFile = "prior.safetensors";
    public const string CslaFile = "csla.safetensors";
    public const string DirectionsFile = "directions.safetensors";
    public const string DeltaEditFile = "deltaedit.safetensors";

    /// <summary>Names the default set's directory when no directory is given.</summary>
    public const string EnvironmentVariable = "STYLEBRIDGE_MODELS";

    /// <summary>Where the CLI build copies <c>weights/shapes/**</c>, under the application's base directory.</summary>
    public const string BundledDirectory = "models/shapes";

    /// <summary>The set in a source checkout, under the current directory.</summary>
    public const string CheckoutDirectory = "weights/shapes";

    /// <summary>
    /// Optional safetensors metadata key of <see cref="ClipFile"/>: a <see cref="ClipConfig"/> JSON
    /// (<see cref="ClipConfig.ToJson"/>) for what shapes cannot tell, e.g. the text head count.
    /// </summary>
    public const string ClipConfigMetadataKey = "clip_config";

    /// <summary>Generator metadata: the first W+ layer of the layers that carry colour alone (<see cref="GeneratorColourLayer"/>).</summary>
    public const string ColourLayerMetadataKey = "colour_layer";

    // full path → (length, last write, sha256) of a file already verified in this process
    private static readonly ConcurrentDictionary<string, (long Length, DateTime LastWriteUtc, string Sha256)> Verified = new(StringComparer.Ordinal);

    private ModelSet(string directory, string displayDirectory, ModelManifest manifest)
    {
        Directory = directory;
        DisplayDirectory = displayDirectory;
        Manifest = manifest;
    }

    /// <summary>The set's directory (full path).</summary>
    public string Directory { get; }

    /// <summary>The directory as messages name it (relative to the current directory when below it).</summary>
    public string DisplayDirectory { get; }

    public ModelManifest Manifest { get; }

    /// <summary>
    /// Opens a set: <paramref name="directory"/> if given, else <c>$STYLEBRIDGE_MODELS</c>, else
    /// <c>&lt;AppContext.BaseDirectory&gt;/models/shapes</c> if it exists, else <c>weights/shapes</c> under the current
    /// directory. Reads its manifest; files are verified when asked for.
    /// </summary>
    public static ModelSet Open(string? directory = null)
    {
        var (path, source) = ResolveDirectory(directory, Environment.GetEnvironmentVariable(EnvironmentVariable),
            AppContext.BaseDirectory, Environment.CurrentDirectory);
        string full = Path.GetFullPath(path);
        string display = Display(full);
        if (!System.IO.Directory.Exists(full))
            throw new ModelSetException($"{display}: no such model set directory ({source}); name one with --models DIR or {EnvironmentVariable}");
        return new ModelSet(full, display, ModelManifest.Load(Path.Combine(full, ModelManifest.FileName)));
    }

    /// <summary>The directory <see cref="Open"/> would use and where it came from.</summary>
    internal static (string Directory, string Source) ResolveDirectory(string? explicitDirectory, string? environment,
        string baseDirectory, string currentDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
            return (Path.GetFullPath(explicitDirectory, currentDirectory), "named explicitly");
        if (!string.IsNullOrWhiteSpace(environment))
            return (Path.GetFullPath(environment, currentDirectory), $"from {EnvironmentVariable}");
        string bundled = Path.Combine(baseDirectory, BundledDirectory);
        if (System.IO.Directory.Exists(bundled))
            return (Path.GetFullPath(bundled), "bundled with the application");
        return (Path.GetFullPath(CheckoutDirectory, currentDirectory), "the default under the current directory");
    }

    /// <summary>
    /// The full path of <paramref name="fileName"/> after checking it against the manifest: it must be recorded there
    /// and its SHA-256 must match. A file verified before in this process (same length and write time) is not hashed again.
    /// </summary>
    public string PathOf(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        string path = Path.Combine(Directory, fileName);
        string shown = DisplayDirectory + "/" + fileName;
        var entry = Manifest.Find(fileName);
        bool exists = File.Exists(path);
        if (entry is null)
        {
            throw new ModelSetException(exists
                ? $"{shown}: not recorded in {DisplayDirectory}/{ModelManifest.FileName}; record it (SHA-256, command, seed, revision, metrics) with ModelManifest.Upsert before using it"
                : $"{shown}: no such file, and {DisplayDirectory}/{ModelManifest.FileName} does not record it either; this set has: {Listing()}");
        }

        if (!exists)
            throw new ModelSetException($"{shown}: no such file; the manifest records it (SHA-256 {Short(entry.Sha256)}) — restore it, or name another set with --models DIR");

        var info = WeightFiles.Resolve(path); // a link's own length and time would hide a changed target
        if (Verified.TryGetValue(path, out var known) && known.Length == info.Length && known.LastWriteUtc == info.LastWriteTimeUtc
            && known.Sha256 == entry.Sha256)
            return path;

        var (actual, _) = ModelManifest.Hash(path);
        if (!string.Equals(actual, entry.Sha256, StringComparison.Ordinal))
        {
            Verified.TryRemove(path, out _);
            throw new ModelSetException(
                $"{shown}: SHA-256 {Short(actual)} does not match the manifest ({Short(entry.Sha256)}); the file was changed after it was recorded — retrain or restore it");
        }

        Verified[path] = (info.Length, info.LastWriteTimeUtc, actual);
        return path;
    }

    /// <summary>Verifies every file the manifest records (<see cref="PathOf"/> for each).</summary>
    public void VerifyAll()
    {
        foreach (string name in Manifest.Files.Keys)
            PathOf(name);
    }

    /// <summary>The set's CLIP (<see cref="ClipFile"/>), verified; see <see cref="LoadClipFile"/>.</summary>
    public ClipModel LoadClip(Func<ClipConfig, ClipConfig>? configure = null) => LoadClipFile(PathOf(ClipFile), configure);

    /// <summary>The CLIP tokenizer of the set's vocabulary (<see cref="VocabFile"/>), verified.</summary>
    public ClipTokenizer LoadTokenizer() => ClipTokenizer.FromOpenAiVocab(PathOf(VocabFile));

    /// <summary>
    /// The generator's colour layer from its file's metadata: <c>colour_layer</c>, or, in a file
    /// <c>stylegan2-distill</c> wrote before that key, its options' <c>ColourLayer</c> when <c>ColourMixing</c> &gt; 0.
    /// Null for a file that records none (every released checkpoint).
    /// </summary>
    public int? GeneratorColourLayer()
    {
        string path = PathOf(GeneratorFile);
        if (WeightFiles.Detect(path) != WeightFileFormat.SafeTensors)
            return null;
        var metadata = SafeTensorsHeader.Read(path).Metadata;
        return ColourLayerOf(metadata, DisplayDirectory + "/" + GeneratorFile);
    }

    /// <summary>The colour layer a generator file's metadata records (<see cref="GeneratorColourLayer"/>), or null.</summary>
    public static int? ColourLayerOf(IReadOnlyDictionary<string, string> metadata, string shown)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.TryGetValue(ColourLayerMetadataKey, out var text))
            return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int k)
                ? k : throw new ModelSetException($"{shown}: {ColourLayerMetadataKey} '{text}' is not an integer");
        if (metadata.TryGetValue("producer", out var producer) && producer == nameof(Training.SceneDistillationTrainer) && metadata.TryGetValue("options", out var options))
        {
            try
            {
                // the options as stylegan2-distill serialised them
                if (System.Text.Json.JsonSerializer.Deserialize<Training.SceneDistillationOptions>(options) is { ColourMixing: > 0 } run)
                    return run.ColourLayer;
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new ModelSetException($"{shown}: its options metadata is not the JSON stylegan2-distill writes ({e.Message})");
            }
        }
        return null;
    }

    /// <summary>The set's generator (<see cref="GeneratorFile"/>, rosinality names + latent_avg), verified.</summary>
    public Generator LoadGenerator(Func<StyleGan2Config, StyleGan2Config>? configure = null) => Generator.FromFile(PathOf(GeneratorFile), configure);

    /// <summary>The set's clip2latent prior (<see cref="PriorFile"/>), verified.</summary>
    public StyleBridge.Models.Prior.LatentPrior LoadPrior() => StyleBridge.Models.Prior.LatentPrior.FromFile(PathOf(PriorFile));

    /// <summary>Whether the manifest records <paramref name="fileName"/> (the file is checked only when loaded).</summary>
    public bool Has(string fileName) => Manifest.Find(fileName) is not null;

    /// <summary>
    /// A CLIP from any weight file (<see cref="ClipLoader"/>); a <see cref="ClipConfigMetadataKey"/> entry in a
    /// safetensors file's metadata overrides what the shapes imply (then <paramref name="configure"/> applies).
    /// </summary>
    public static ClipModel LoadClipFile(string path, Func<ClipConfig, ClipConfig>? configure = null)
    {
        using var stateDict = ClipLoader.ReadStateDict(path);
        string? json = stateDict.Metadata is { } metadata && metadata.TryGetValue(ClipConfigMetadataKey, out string? value) ? value : null;
        Func<ClipConfig, ClipConfig>? combined = json is null ? configure : c =>
        {
            var fromFile = c.WithJson(json);
            return configure is null ? fromFile : configure(fromFile);
        };
        return ClipLoader.FromStateDict(stateDict, combined);
    }

    /// <summary>Forgets which files this process has verified (tests).</summary>
    internal static void ClearVerificationCache() => Verified.Clear();

    private string Listing() => Manifest.Files.Count == 0 ? "(nothing recorded)" : string.Join(", ", Manifest.Files.Keys);

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : sha;

    private static string Display(string full)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative.Replace('\\', '/');
    }
}

/// <summary>A model set cannot supply a file: missing, unrecorded, changed since it was recorded, or a bad manifest.</summary>
public sealed class ModelSetException : Exception
{
    public ModelSetException(string message) : base(message) { }

    public ModelSetException(string message, Exception inner) : base(message, inner) { }
}
