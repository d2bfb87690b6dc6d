using StyleBridge.Torch.Serialization;
using StyleBridge.Torch.Tests.TestSupport;

namespace StyleBridge.Torch.Tests.Serialization;

/// <summary>
/// Loaded weights belong to the StateDict or checkpoint that holds them, never to a TorchSharp dispose scope the
/// caller happened to have open while loading.
/// </summary>
public sealed class OwnershipTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadedTensorsOutliveTheCallersDisposeScope()
    {
        string safetensors = Golden.File("clip", "tiny_state.safetensors");
        string checkpoint = Golden.File("stylegan2", "rosinality", "tiny_ckpt.pt");
        string jit = Golden.File("clip", "tiny_jit.pt");
        string unaligned = _temp.File("unaligned.safetensors");
        using (var source = new StateDict { { "a", tensor(new byte[] { 7 }) }, { "b", tensor(new[] { 1.5f, -2f, 3.25f }) } })
            SafeTensors.Save(unaligned, source); // "b" starts one byte into the data: read by copying

        var loaded = new List<(string What, StateDict Tensors)>();
        TorchCheckpoint whole;
        using (NewDisposeScope())
        {
            loaded.Add(("safetensors", SafeTensors.Load(safetensors)));
            loaded.Add(("unaligned safetensors", SafeTensors.Load(unaligned)));
            loaded.Add(("torch.save", TorchCheckpoint.LoadStateDict(checkpoint, "g_ema")));
            loaded.Add(("TorchScript", TorchScriptArchive.LoadStateDict(jit)));
            loaded.Add(("TorchScript constants", TorchScriptArchive.LoadConstants(jit)));
            loaded.Add(("WeightFiles", WeightFiles.LoadStateDict(checkpoint, "g_ema")));
            whole = TorchCheckpoint.Load(checkpoint);
        }

        try
        {
            foreach (var (what, tensors) in loaded)
            {
                Assert.NotEmpty(tensors);
                foreach (var (name, t) in tensors)
                    Assert.False(t.IsInvalid, $"{what}: '{name}' was disposed with the caller's scope");
            }
            Assert.All(whole.Tensors, t => Assert.False(t.IsInvalid));

            // and the data is still there: equal to a load made outside any scope
            using var again = SafeTensors.Load(safetensors);
            foreach (var (name, t) in again)
                TensorAssert.BitEqual(t, loaded[0].Tensors[name], name);
            using var ckptAgain = TorchCheckpoint.LoadStateDict(checkpoint, "g_ema");
            foreach (var (name, t) in ckptAgain)
                TensorAssert.BitEqual(t, loaded[2].Tensors[name], name);
            Assert.Equal([1.5f, -2f, 3.25f], loaded[1].Tensors["b"].Values<float>());
        }
        finally
        {
            foreach (var (_, tensors) in loaded)
                tensors.Dispose();
            whole.Dispose();
        }
    }

    [Fact]
    public void EmptySafetensorsEntriesOutliveTheCallersDisposeScope()
    {
        string path = _temp.File("empty.safetensors");
        using (var source = new StateDict { { "empty", zeros(0, 3) }, { "x", tensor(new[] { 1f, 2f }) } })
            SafeTensors.Save(path, source);

        StateDict sd;
        using (NewDisposeScope())
            sd = SafeTensors.Load(path);

        using (sd)
        {
            Assert.False(sd["x"].IsInvalid);
            Assert.False(sd["empty"].IsInvalid, "the zero-length entry was disposed with the caller's scope");
            Assert.Equal([0L, 3], sd["empty"].shape);
        }
    }

    [Fact]
    public void TensorsMovedOutOfAStateDictAreTheCallers()
    {
        string path = Golden.File("clip", "tiny_state.safetensors");
        using var reference = SafeTensors.Load(path);
        string name = reference.Keys.Last();
        var sd = SafeTensors.Load(path);
        Tensor taken;
        using (sd)
            taken = sd.Take(name);

        using (taken)
        {
            Assert.False(taken.IsInvalid);
            TensorAssert.BitEqual(reference[name], taken, name);
        }
        Assert.True(taken.IsInvalid);
    }
}
