namespace Mlops.Training.Data.Pipeline;

/// <summary>
/// The seeded generator behind every shuffle: xoshiro256** seeded through SplitMix64 from the user's seed, the pass,
/// a stream id and the replica. It is written out here, not taken from <see cref="Random"/>, so that an order is the
/// same on every replica, every run and every .NET version; a resumed job depends on that.
/// </summary>
internal struct ShuffleRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates the generator for one purpose (<paramref name="stream"/>) of one pass.</summary>
    public ShuffleRandom(long seed, long pass, int stream, int replica)
    {
        var x = (ulong)seed;
        x = Mix(x ^ Mix((ulong)pass + 0x632BE59BD9B4E019UL));
        x = Mix(x ^ Mix(((ulong)(uint)stream << 32) | (uint)replica));
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) (Lemire's multiply-and-reject, no modulo bias).</summary>
    public int NextInt(int bound)
    {
        var product = (ulong)(uint)NextUInt32() * (uint)bound;
        var low = (uint)product;
        if (low < (uint)bound)
        {
            var threshold = (uint)-bound % (uint)bound;
            while (low < threshold)
            {
                product = (ulong)(uint)NextUInt32() * (uint)bound;
                low = (uint)product;
            }
        }

        return (int)(product >> 32);
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private uint NextUInt32() => (uint)(Next() >> 32);

    private ulong Next()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
