using Xunit.Abstractions;
using StyleBridge.Models.StyleGan2;

namespace StyleBridge.Models.Tests.StyleGan2;

/// <summary>
/// Every case of every golden io file, both layouts, float32 against the float32 and the float64 references, and a
/// float64 model against the float64 references.
/// </summary>
[Trait("Category", "Golden")]
public class GoldenParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var set in StyleGanGolden.Sets)
            foreach (string c in GoldenCases.For(set))
                data.Add(set.Id, c);
        return data;
    }

    [Fact]
    public void EverySetHasItsCoreCases()
    {
        foreach (var set in StyleGanGolden.Sets)
        {
            var cases = GoldenCases.For(set).ToList();
            Assert.Contains(cases, c => c.StartsWith("image:", StringComparison.Ordinal));
            Assert.Contains(cases, c => c.StartsWith("styles:", StringComparison.Ordinal));
            Assert.True(cases.Contains("mapping") || cases.Any(c => c.StartsWith("latents:", StringComparison.Ordinal)), $"{set.Id}: no mapping case");
        }

        Assert.Contains(StyleGanGolden.Sets, s => s.Folder == "rosinality");
        Assert.Contains(StyleGanGolden.Sets, s => s.Folder == "nvidia");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reproduces(string setId, string caseName)
    {
        var set = StyleGanGolden.Set(setId);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            using var scope = NewDisposeScope();
            using var mode = inference_mode();
            var g = StyleGanGolden.Model(set, dtype);
            Run(set, g, caseName, dtype);
        }
    }

    private void Run(GoldenModelSet set, Generator g, string caseName, ScalarType dtype)
    {
        var io = StyleGanGolden.Io(set);
        string kind = caseName.Split(':')[0];
        string arg = caseName.Contains(':') ? caseName[(caseName.IndexOf(':') + 1)..] : "";
        switch (kind)
        {
            case "mapping":
                Check(set, "w", g.Map(io["z"].to(dtype)), dtype, StyleGanGolden.VectorTolerance);
                break;
            case "mean_latent":
                Check(set, "mean_latent", g.Map(io["mean_latent_z"].to(dtype)).mean([0], keepdim: true), dtype, StyleGanGolden.VectorTolerance);
                break;
            case "mixing":
                Check(set, "wplus_mix", g.MixStyles(g.Map(io["z"].to(dtype)), g.Map(io["z2"].to(dtype)), GoldenCases.InjectIndex(set)), dtype, StyleGanGolden.VectorTolerance);
                break;
            case "latents":
                double psi = StyleGanGolden.PsiFromName(arg) ?? throw new InvalidOperationException($"no ψ in '{arg}'");
                Check(set, arg, g.Truncate(g.Broadcast(g.Map(io["z"].to(dtype))), psi), dtype, StyleGanGolden.VectorTolerance);
                break;
            case "styles":
                var styles = g.Styles(GoldenCases.StyleSource(set, arg, dtype));
                int compared = 0;
                foreach (var layer in g.StyleSpace.Layers)
                {
                    string name = set.Folder == "nvidia" ? layer.NvidiaName : layer.Name;
                    if (!io.ContainsKey($"{arg}.{name}"))
                        continue;
                    Check(set, $"{arg}.{name}", styles[layer.Index], dtype, StyleGanGolden.VectorTolerance, $"{arg}_f64.{name}");
                    compared++;
                }

                Assert.Equal(g.StyleSpace.Count, compared);
                break;
            case "image":
                Check(set, arg, GoldenCases.Image(set, g, arg, dtype), dtype, StyleGanGolden.ImageTolerance);
                break;
            default:
                throw new InvalidOperationException($"unknown case '{caseName}'");
        }
    }

    // float32: within tolerance of the float32 and the float64 reference; float64: within 1e-9 of the float64 one.
    private void Check(GoldenModelSet set, string name, Tensor actual, ScalarType dtype, double tolerance, string? f64Name = null)
    {
        var io = StyleGanGolden.Io(set);
        f64Name ??= name + "_f64";
        bool hasF64 = io.ContainsKey(f64Name);
        if (dtype == ScalarType.Float32)
        {
            Assert.Equal(ScalarType.Float32, actual.dtype);
            double d32 = TensorDiff.MaxAbs(actual, io[name]);
            output.WriteLine($"{set.Id} {name}: f32 vs f32 {d32:E2}");
            Assert.True(d32 <= tolerance, $"{set.Id} {name}: max |Δ| {d32:E3} vs the float32 reference > {tolerance:E1}");
            if (hasF64)
            {
                double d64 = TensorDiff.MaxAbs(actual, io[f64Name]);
                output.WriteLine($"{set.Id} {name}: f32 vs f64 {d64:E2}");
                Assert.True(d64 <= tolerance, $"{set.Id} {name}: max |Δ| {d64:E3} vs the float64 reference > {tolerance:E1}");
            }
        }
        else if (hasF64)
        {
            Assert.Equal(ScalarType.Float64, actual.dtype);
            double d = TensorDiff.MaxAbs(actual, io[f64Name]);
            output.WriteLine($"{set.Id} {name}: f64 vs f64 {d:E2}");
            Assert.True(d <= StyleGanGolden.Float64Tolerance, $"{set.Id} {name}: float64 max |Δ| {d:E3} > {StyleGanGolden.Float64Tolerance:E1}");
        }
    }
}
