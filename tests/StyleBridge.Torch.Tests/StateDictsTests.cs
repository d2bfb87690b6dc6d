using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.Serialization;
using StyleBridge.Torch.Tests.TestSupport;
using TorchSharp.Modules;

namespace StyleBridge.Torch.Tests;

/// <summary><see cref="StateDicts.LoadInto"/> on a small TorchSharp module built here.</summary>
public sealed class StateDictsTests
{
    private static readonly string[] Keys = ["weight", "bias", "inner.scale", "running"];

    private sealed class Inner : nn.Module
    {
        public Inner() : base(nameof(Inner)) => register_parameter("scale", new Parameter(ones(2)));
    }

    /// <summary>weight [3, 2], bias [3], inner.scale [2] (ones), running [3] (persistent) and scratch [3] (not).</summary>
    private sealed class Tiny : nn.Module
    {
        public Tiny() : base(nameof(Tiny))
        {
            register_parameter("weight", new Parameter(zeros(3, 2)));
            register_parameter("bias", new Parameter(zeros(3)));
            register_buffer("running", zeros(3));
            register_buffer("scratch", zeros(3), persistent: false);
            register_module("inner", new Inner());
        }
    }

    /// <summary>A checkpoint for <see cref="Tiny"/>: every key with the right shape, random values.</summary>
    private static StateDict Checkpoint(long seed, ScalarType dtype = ScalarType.Float32)
    {
        using var gen = new Generator((ulong)seed);
        return new StateDict
        {
            { "weight", randn([3, 2], dtype: dtype, generator: gen) },
            { "bias", randn([3], dtype: dtype, generator: gen) },
            { "inner.scale", randn([2], dtype: dtype, generator: gen) },
            { "running", randn([3], dtype: dtype, generator: gen) },
        };
    }

    private static Dictionary<string, byte[]> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => TensorBytes.ToBytes(kv.Value));

    private static void AssertUnchanged(Dictionary<string, byte[]> before, nn.Module module)
    {
        foreach (var (name, t) in module.state_dict())
            Assert.True(before[name].AsSpan().SequenceEqual(TensorBytes.ToBytes(t)), $"'{name}' changed");
    }

    [Fact]
    public void ModuleKeysAreItsParametersAndPersistentBuffers()
    {
        using var module = new Tiny();

        Assert.Equal(Keys.Order(StringComparer.Ordinal), StateDicts.Of(module).Select(kv => kv.Key).Order(StringComparer.Ordinal));
        // PyTorch's order: a module's own parameters, then its own buffers, then its children
        Assert.Equal(["weight", "bias", "running", "inner.scale"], StateDicts.Of(module).Select(kv => kv.Key));
    }

    [Fact]
    public void StrictLoadCopiesEveryValueExactly()
    {
        using var module = new Tiny();
        using var source = Checkpoint(11);
        var weight = module.get_parameter("weight")!;

        var result = StateDicts.LoadInto(module, source);

        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        var own = module.state_dict();
        foreach (var (name, t) in source)
            TensorAssert.BitEqual(t, own[name], name);
        // copied into the module's own tensors, not aliased to the checkpoint's
        Assert.Same(weight, module.get_parameter("weight"));
        Assert.True(weight.requires_grad);
        using (no_grad())
            source["weight"].fill_(42f);
        Assert.False(own["weight"].Equals(source["weight"]), "the module's weight aliases the checkpoint's tensor");
    }

    [Fact]
    public void StrictMismatchListsEveryProblemAndCopiesNothing()
    {
        using var module = new Tiny();
        var before = Snapshot(module);
        using var source = Checkpoint(12);
        source.Remove("bias");
        source.Remove("weight");
        source.Add("weight", ones(2, 3));
        source.Add("extra.weight", ones(1));
        source.Add("scratch", ones(3)); // a non-persistent buffer is not part of the state dict

        var e = Assert.Throws<StateDictMismatchException>(() => StateDicts.LoadInto(module, source));

        Assert.Equal(["bias"], e.MissingKeys);
        Assert.Equal(["extra.weight", "scratch"], e.UnexpectedKeys.Order(StringComparer.Ordinal));
        var mismatch = Assert.Single(e.ShapeMismatches);
        Assert.Contains("weight", mismatch);
        Assert.Contains("[2, 3]", mismatch);
        Assert.Contains("[3, 2]", mismatch);
        foreach (string part in new[] { "bias", "extra.weight", "scratch", "weight: checkpoint [2, 3], model [3, 2]" })
            Assert.Contains(part, e.Message);
        AssertUnchanged(before, module); // running and inner.scale matched, yet nothing was copied
    }

    [Fact]
    public void ShapeMismatchFailsEvenWhenNotStrict()
    {
        using var module = new Tiny();
        var before = Snapshot(module);
        using var source = Checkpoint(13);
        source.Remove("inner.scale");
        source.Add("inner.scale", ones(3));

        var e = Assert.Throws<StateDictMismatchException>(() => StateDicts.LoadInto(module, source, strict: false));

        Assert.Empty(e.MissingKeys);
        Assert.Empty(e.UnexpectedKeys);
        Assert.Contains("inner.scale", Assert.Single(e.ShapeMismatches));
        AssertUnchanged(before, module);
    }

    [Fact]
    public void NonStrictReturnsMissingAndUnexpectedAndCopiesTheRest()
    {
        using var module = new Tiny();
        var before = Snapshot(module);
        using var source = Checkpoint(14);
        source.Remove("bias");
        source.Remove("inner.scale");
        source.Add("extra", ones(5));

        var result = StateDicts.LoadInto(module, source, strict: false);

        Assert.Equal(["bias", "inner.scale"], result.MissingKeys.Order(StringComparer.Ordinal));
        Assert.Equal(["extra"], result.UnexpectedKeys);
        var own = module.state_dict();
        TensorAssert.BitEqual(source["weight"], own["weight"], "weight");
        TensorAssert.BitEqual(source["running"], own["running"], "running");
        Assert.Equal(before["bias"], TensorBytes.ToBytes(own["bias"]));
        Assert.Equal(before["inner.scale"], TensorBytes.ToBytes(own["inner.scale"]));
    }

    [Fact]
    public void IgnoredKeysAreNeitherUnexpectedNorCopied()
    {
        using var module = new Tiny();
        using var source = Checkpoint(15);
        source.Add("input_resolution", tensor(224L));

        var strictWithout = Assert.Throws<StateDictMismatchException>(() => StateDicts.LoadInto(module, source));
        var result = StateDicts.LoadInto(module, source, ignore: ["input_resolution"]);

        Assert.Equal(["input_resolution"], strictWithout.UnexpectedKeys);
        Assert.Empty(result.UnexpectedKeys);
        TensorAssert.BitEqual(source["bias"], module.state_dict()["bias"], "bias");
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void ConvertsToTheModulesDtype(ScalarType checkpointDtype)
    {
        using var module = new Tiny();
        using var source = Checkpoint(16, checkpointDtype);

        StateDicts.LoadInto(module, source);

        foreach (var (name, t) in module.state_dict())
        {
            Assert.Equal(ScalarType.Float32, t.dtype);
            using var expected = source[name].to(ScalarType.Float32);
            TensorAssert.BitEqual(expected, t, name);
        }
    }

    [Fact]
    public void LoadsASavedModuleIntoAFreshOne()
    {
        string path = Path.Combine(Path.GetTempPath(), "sb-statedicts-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            using var trained = new Tiny();
            using (var source = Checkpoint(17))
                StateDicts.LoadInto(trained, source);
            SafeTensors.Save(path, StateDicts.Of(trained));

            using var fresh = new Tiny();
            using var loaded = SafeTensors.Load(path);
            StateDicts.LoadInto(fresh, loaded);

            var expected = trained.state_dict();
            foreach (var (name, t) in fresh.state_dict())
                TensorAssert.BitEqual(expected[name], t, name);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
