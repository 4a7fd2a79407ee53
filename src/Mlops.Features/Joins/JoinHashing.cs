using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Mlops.Features.Joins;

/// <summary>
/// The hash functions of the join tables. Buckets are taken from the top bits of the hash, so every
/// input bit must reach them: integer keys are often sequential and double keys differ only in high bits.
/// </summary>
internal static class JoinHashing
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;

    /// <summary>A full-avalanche mix of a 64-bit key (the finaliser of MurmurHash3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(long key)
    {
        var x = (ulong)key;
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    /// <summary>Hashes a byte string eight bytes at a time.</summary>
    public static ulong Bytes(ReadOnlySpan<byte> data)
    {
        var h = Prime1 ^ ((ulong)data.Length * Prime2);
        while (data.Length >= 8)
        {
            h = Round(h, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        if (!data.IsEmpty)
        {
            ulong tail = 0;
            for (var i = data.Length - 1; i >= 0; i--)
            {
                tail = (tail << 8) | data[i];
            }

            h = Round(h, tail);
        }

        return (ulong)Mix((long)h);
    }

    /// <summary>The number of bucket-index bits for <paramref name="rows"/> keys: a power of two at least as large, two at least.</summary>
    public static int BucketBits(int rows) => Math.Max(1, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, rows - 1)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong h, ulong word) => BitOperations.RotateLeft(h ^ (word * Prime2), 31) * Prime1;
}
