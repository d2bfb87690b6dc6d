using StyleBridge.Torch.Serialization;

namespace StyleBridge.Torch.Tests.Serialization;

public sealed class StateDictTests
{
    [Fact]
    public void OwnsItsTensors()
    {
        var a = Tensor.FromArray(new[] { 1f });
        var b = Tensor.FromArray(new[] { 2f });
        var c = Tensor.FromArray(new[] { 3f });
        var sd = new StateDict { { "a", a }, { "b", b }, { "c", c } };

        Assert.True(sd.Remove("b"));
        Assert.False(sd.Remove("b"));
        Assert.True(b.IsDisposed);
        var taken = sd.Take("c");
        Assert.Same(c, taken);
        Assert.Equal(["a"], sd.Keys.ToArray());
        sd.Dispose();

        Assert.True(a.IsDisposed);
        Assert.False(c.IsDisposed);
        c.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sd["a"]);
    }

    [Fact]
    public void KeepsInsertionOrderAndExplainsMissingKeys()
    {
        using var sd = new StateDict { { "z", Tensor.FromArray(new[] { 1f }) }, { "a", Tensor.FromArray(new[] { 2f }) } };

        Assert.Equal(["z", "a"], sd.Keys.ToArray());
        Assert.True(sd.TryGet("a", out var a));
        Assert.Equal(2f, a!.Item<float>());
        Assert.False(sd.TryGet("q", out _));
        var e = Assert.Throws<KeyNotFoundException>(() => sd["q"]);
        Assert.Contains("'z', 'a'", e.Message);
        using var dup = Tensor.FromArray(new[] { 3f });
        Assert.Throws<ArgumentException>(() => sd.Add("z", dup));
    }
}
