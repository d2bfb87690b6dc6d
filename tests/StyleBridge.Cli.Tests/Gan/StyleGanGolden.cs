using System.Globalization;
using System.Text.RegularExpressions;
using StyleBridge.Torch.Serialization;

namespace StyleBridge.Cli.Tests.Gan;

/// <summary>
/// One golden StyleGAN2 set: <c>&lt;name&gt;_state.safetensors</c>, <c>&lt;name&gt;_config.json</c> and
/// <c>&lt;name&gt;_io.safetensors</c> (optionally <c>&lt;name&gt;_ckpt.pt</c>) in a folder under <c>stylegan2/</c>.
/// </summary>
internal sealed record GanSet(string Folder, string Name, string Directory)
{
    public string Id => Folder + "/" + Name;
    public string StatePath => Path.Combine(Directory, Name + "_state.safetensors");
    public string ConfigPath => Path.Combine(Directory, Name + "_config.json");
    public string IoPath => Path.Combine(Directory, Name + "_io.safetensors");
    public string CheckpointPath => Path.Combine(Directory, Name + "_ckpt.pt");
    public override string ToString() => Id;
}

internal static partial class StyleGanGolden
{
    // README section E: acceptance thresholds for a float32 implementation on the tiny goldens
    public const double ImageTolerance = 5e-5;
    public const double VectorTolerance = 1e-5;

    public static IReadOnlyList<GanSet> Sets()
    {
        var sets = new List<GanSet>();
        foreach (string dir in System.IO.Directory.GetDirectories(GoldenData.Path("stylegan2")).Order(StringComparer.Ordinal))
        {
            foreach (string state in System.IO.Directory.GetFiles(dir, "*_state.safetensors").Order(StringComparer.Ordinal))
            {
                var set = new GanSet(Path.GetFileName(dir), Path.GetFileName(state)[..^"_state.safetensors".Length], dir);
                if (File.Exists(set.ConfigPath) && File.Exists(set.IoPath))
                    sets.Add(set);
            }
        }

        return sets;
    }

    public static GanSet Set(string id) => Sets().Single(s => s.Id == id);

    /// <summary>Tensor names of a set's io file.</summary>
    public static IReadOnlyList<string> IoNames(GanSet set)
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
