using StyleBridge.Torch.Serialization;

namespace StyleBridge.Torch.Tests.Serialization;

public sealed class StateDictTests
{
    [Fact]
    public void OwnsItsTensors()
    {
        var a = tensor(new[] { 1f });
        var b = tensor(new[] { 2f });
        var c = tensor(new[] { 3f });
        var sd = new StateDict { { "a", a }, { "b", b }, { "c", c } };

        Assert.True(sd.Remove("b"));
        Assert.False(sd.Remove("b"));
        Assert.True(b.IsInvalid);
        var taken = sd.Take("c");
        Assert.Same(c, taken);
        Assert.Equal(["a"], sd.Keys.ToArray());
        sd.Dispose();

        Assert.True(a.IsInvalid);
        Assert.False(c.IsInvalid);
        c.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sd["a"]);
    }

    [Fact]
    public void KeepsInsertionOrderAndExplainsMissingKeys()
    {
        using var sd = new StateDict { { "z", tensor(new[] { 1f }) }, { "a", tensor(new[] { 2f }) } };

        Assert.Equal(["z", "a"], sd.Keys.ToArray());
        Assert.True(sd.TryGet("a", out var a));
        Assert.Equal(2f, a!.item<float>());
        Assert.False(sd.TryGet("q", out _));
        var e = Assert.Throws<KeyNotFoundException>(() => sd["q"]);
        Assert.Contains("'z', 'a'", e.Message);
        using var dup = tensor(new[] { 3f });
        Assert.Throws<ArgumentException>(() => sd.Add("z", dup));
    }
}
