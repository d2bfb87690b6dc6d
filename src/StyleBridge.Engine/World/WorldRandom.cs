namespace StyleBridge.Engine.World;

/// <summary>
/// The Shapes world's own PRNG, so that a seed gives the same scenes and captions on every machine and .NET version:
/// xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c) with its 256-bit state
/// filled by four outputs of SplitMix64 (https://prng.di.unimi.it/splitmix64.c) from the 64-bit seed, as its authors
/// recommend. Not thread-safe; not for cryptography.
/// </summary>
public sealed class WorldRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public WorldRandom(ulong seed)
    {
        ulong state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>Starts from a raw xoshiro256** state (not all zero), for checking against the reference outputs.</summary>
    internal WorldRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0) throw new ArgumentException("the xoshiro256** state must not be all zero");
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>A generator for an independent stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static WorldRandom ForStream(ulong seed, ulong stream)
    {
        ulong state = seed ^ (stream * 0xD1B54A32D192ED03UL);
        return new WorldRandom(SplitMix64(ref state));
    }

    /// <summary>One SplitMix64 step: advances <paramref name="state"/> and returns the mixed output.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="count"/>), without modulo bias (rejects the 2^64 mod count lowest outputs).</summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ulong n = (ulong)count;
        ulong threshold = (0UL - n) % n;
        ulong x;
        do x = NextUInt64(); while (x < threshold);
        return (int)(x % n);
    }

    /// <summary>Uniform in [0, 1) on the 2^24 grid a float represents exactly.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public float NextUniform(float min, float max) => min + (max - min) * NextSingle();

    public bool NextBool() => (NextUInt64() >> 63) != 0;

    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items[NextInt(items.Count)];
    }

    public T NextEnum<T>() where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        return values[NextInt(values.Length)];
    }
}
