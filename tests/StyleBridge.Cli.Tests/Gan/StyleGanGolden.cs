using System.Globalization;
using System.Text.RegularExpressions;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests.Gan;

internal static partial class StyleGanGolden
{
    // README section E: acceptance thresholds for a float32 implementation on the tiny goldens
    public const double ImageTolerance = 5e-5;
    public const double VectorTolerance = 1e-5;

    public static IReadOnlyList<GoldenModelSet> Sets() => GoldenData.ModelSets("stylegan2");

    public static GoldenModelSet Set(string id) => Sets().Single(s => s.Id == id);

    /// <summary>Tensor names of a set's io file.</summary>
    public static IReadOnlyList<string> IoNames(GoldenModelSet set)
    {
        using var io = SafeTensors.Load(set.IoPath);
        return io.Keys.ToList();
    }

    /// <summary>ψ from a golden name: <c>img_psi07</c>, <c>ws_psi07</c>, <c>img_trunc07</c> → 0.7; <c>img_psi1</c> → 1.</summary>
    public static double? PsiFromName(string name)
    {
        var m = PsiPattern().Match(name);
        if (!m.Success)
            return null;
        string digits = m.Groups[1].Value;
        return double.Parse(digits.StartsWith('0') ? "0." + digits[1..] : digits, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^img_(?:psi|trunc)(\d+)$")]
    private static partial Regex PsiPattern();
}
