namespace StyleBridge.Engine.Tests.World;

public class WorldRandomTests
{
    [Fact]
    public void SplitMix64_MatchesReferenceOutputsForSeedZero()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, WorldRandom.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, WorldRandom.SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, WorldRandom.SplitMix64(ref state));
    }

    [Fact]
    public void Xoshiro256StarStar_MatchesReferenceOutputsForState1234()
    {
        var random = new WorldRandom(1, 2, 3, 4);
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240];
        Assert.Equal(expected, Enumerable.Range(0, 4).Select(_ => random.NextUInt64()));
    }

    [Fact]
    public void SameSeed_SameSequence_DifferentSeedOrStream_Differs()
    {
        ulong[] Draw(WorldRandom r) => [.. Enumerable.Range(0, 8).Select(_ => r.NextUInt64())];
        Assert.Equal(Draw(new WorldRandom(42)), Draw(new WorldRandom(42)));
        Assert.NotEqual(Draw(new WorldRandom(42)), Draw(new WorldRandom(43)));
        Assert.NotEqual(Draw(WorldRandom.ForStream(42, 1)), Draw(WorldRandom.ForStream(42, 2)));
    }

    [Fact]
    public void NextInt_StaysInRangeAndHitsEveryValue()
    {
        var random = new WorldRandom(5);
        var counts = new int[7];
        for (int i = 0; i < 7000; i++) counts[random.NextInt(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
    }

    [Fact]
    public void NextUniform_StaysInHalfOpenRange()
    {
        var random = new WorldRandom(6);
        float min = float.MaxValue, max = float.MinValue;
        for (int i = 0; i < 10000; i++)
        {
            float v = random.NextUniform(-2f, 2f);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        Assert.InRange(min, -2f, -1.99f);
        Assert.InRange(max, 1.99f, 1.9999999f);
    }
}
