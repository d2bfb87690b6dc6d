using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StyleBridge.Models.StyleGan2;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>Discovery of the StyleGAN2 golden sets, and the loaded models and io files, cached per process.</summary>
internal static partial class StyleGanGolden
{
    public const double ImageTolerance = 5e-5;
    public const double VectorTolerance = 1e-5;
    public const double Float64Tolerance = 1e-9;

    private static readonly ConcurrentDictionary<(string, ScalarType), Lazy<Generator>> Models = new();
    private static readonly ConcurrentDictionary<string, Lazy<StateDict>> IoFiles = new();
    private static readonly Lazy<IReadOnlyList<GoldenModelSet>> AllSets = new(Discover);

    public static string Root => GoldenData.Path("stylegan2");

    public static IReadOnlyList<GoldenModelSet> Sets => AllSets.Value;

    public static GoldenModelSet Set(string id) => Sets.Single(s => s.Id == id);

    public static TheoryData<string> SetIds()
    {
        var data = new TheoryData<string>();
        foreach (var set in Sets)
            data.Add(set.Id);
        return data;
    }

    private static IReadOnlyList<GoldenModelSet> Discover() => GoldenData.ModelSets("stylegan2");

    /// <summary>
    /// The set's model (float32 or float64), loaded once per process from its state file. It is loaded on a thread of
    /// its own: parameters made while the caller sits in inference mode would be inference tensors, unusable by the
    /// tests that need gradients.
    /// </summary>
    public static Generator Model(GoldenModelSet set, ScalarType dtype = ScalarType.Float32) =>
        Models.GetOrAdd((set.Id, dtype), _ => new Lazy<Generator>(() =>
        {
            Generator? g = null;
            Exception? error = null;
            var loader = new Thread(() =>
            {
                try
                {
                    g = Generator.FromFile(set.StatePath);
                    if (dtype != ScalarType.Float32)
                        g.to(dtype);
                }
                catch (Exception e)
                {
                    error = e;
                }
            });
            loader.Start();
            loader.Join();
            return g ?? throw new InvalidOperationException($"loading {set.Id} failed", error);
        })).Value;

    public static StateDict Io(GoldenModelSet set) =>
        IoFiles.GetOrAdd(set.Id, _ => new Lazy<StateDict>(() => SafeTensors.Load(set.IoPath))).Value;

    public static JsonElement Config(GoldenModelSet set) => JsonDocument.Parse(File.ReadAllText(set.ConfigPath)).RootElement;

    /// <summary>
    /// ψ from a golden tensor name: <c>img_psi07</c>, <c>ws_psi07</c>, <c>img_trunc07</c> → 0.7, <c>..._psi1</c> → 1
    /// (digits after a leading 0 are the decimals).
    /// </summary>
    public static double? PsiFromName(string name)
    {
        var m = PsiPattern().Match(name);
        if (!m.Success)
            return null;
        string digits = m.Groups[1].Value;
        return digits.StartsWith('0')
            ? double.Parse("0." + digits[1..], CultureInfo.InvariantCulture)
            : double.Parse(digits, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?:psi|trunc)(\d+)(?:_f64)?$")]
    private static partial Regex PsiPattern();
}
