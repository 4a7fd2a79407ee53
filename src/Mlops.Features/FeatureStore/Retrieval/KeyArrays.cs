using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;
using Mlops.Features.Joins;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>The kinds join keys are normalized to: integers and booleans as int64, strings as UTF-8.</summary>
internal enum KeyKind
{
    Integer,
    Boolean,
    String,
}

/// <summary>Columnar helpers of the point-in-time join: key normalization, hashing, timestamps in microseconds.</summary>
internal static class KeyArrays
{
    public static KeyKind? KindOf(IArrowType type) => type switch
    {
        Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type => KeyKind.Integer,
        BooleanType => KeyKind.Boolean,
        StringType => KeyKind.String,
        _ => null,
    };

    /// <summary>An integer or boolean column as int64 (same validity); a string column as is.</summary>
    public static IArrowArray Normalize(IArrowArray array)
    {
        if (array is StringArray or Int64Array)
        {
            return array;
        }

        var length = array.Length;
        var values = new long[length];
        switch (array)
        {
            case BooleanArray b:
                for (var i = 0; i < length; i++)
                {
                    values[i] = b.GetValue(i) == true ? 1 : 0;
                }

                break;
            case PrimitiveArray<int> a: Widen(a.Values, values); break;
            case PrimitiveArray<short> a: Widen(a.Values, values); break;
            case PrimitiveArray<sbyte> a: Widen(a.Values, values); break;
            case PrimitiveArray<byte> a: Widen(a.Values, values); break;
            case PrimitiveArray<ushort> a: Widen(a.Values, values); break;
            case PrimitiveArray<uint> a: Widen(a.Values, values); break;
            default: throw new NotSupportedException($"Arrow type '{array.Data.DataType.Name}' cannot be a join key.");
        }

        return Int64(values, array);
    }

    /// <summary>A timestamp (any unit) or date column as microseconds since the epoch, UTC (same validity).</summary>
    public static Int64Array ToMicros(IArrowArray array, string column)
    {
        if (array is Int64Array normalized && array.Data.DataType is Int64Type)
        {
            return normalized;
        }

        var length = array.Length;
        var values = new long[length];
        switch (array)
        {
            case TimestampArray t:
                var unit = ((TimestampType)t.Data.DataType).Unit;
                var raw = t.Values;
                for (var i = 0; i < length; i++)
                {
                    values[i] = unit switch
                    {
                        TimeUnit.Second => raw[i] * 1_000_000,
                        TimeUnit.Millisecond => raw[i] * 1_000,
                        TimeUnit.Microsecond => raw[i],
                        _ => raw[i] / 1_000,
                    };
                }

                break;
            case Date32Array d:
                for (var i = 0; i < length; i++)
                {
                    values[i] = d.Values[i] * 86_400_000_000L;
                }

                break;
            case Date64Array d:
                for (var i = 0; i < length; i++)
                {
                    values[i] = d.Values[i] * 1_000;
                }

                break;
            default:
                throw new EntityDataException($"Column '{column}' is {array.Data.DataType.Name}, not a timestamp.");
        }

        return Int64(values, array);
    }

    /// <summary>Combines the hashes of key columns per row into <paramref name="hashes"/>; rows with a null key get <paramref name="valid"/> false.</summary>
    public static void Hash(IReadOnlyList<IArrowArray> keys, Span<ulong> hashes, Span<bool> valid)
    {
        hashes.Fill(0x9E3779B97F4A7C15UL);
        valid.Fill(true);
        foreach (var key in keys)
        {
            var validity = ArrowArrays.Validity(key);
            var offset = key.Data.Offset;
            if (key is Int64Array ints)
            {
                var values = ints.Values;
                for (var i = 0; i < hashes.Length; i++)
                {
                    hashes[i] = Mix(hashes[i] ^ (ulong)values[i]);
                    valid[i] &= ArrowArrays.IsValid(validity, offset, i);
                }
            }
            else
            {
                var strings = (StringArray)key;
                for (var i = 0; i < hashes.Length; i++)
                {
                    hashes[i] = Mix(hashes[i] ^ JoinHashing.Bytes(strings.GetBytes(i)));
                    valid[i] &= ArrowArrays.IsValid(validity, offset, i);
                }
            }
        }
    }

    /// <summary>Orders two rows' keys (hash first, then the values), possibly of two batches whose key columns have the same kinds.</summary>
    public static int CompareKeys(long[] hashA, IArrowArray[] keysA, int a, long[] hashB, IArrowArray[] keysB, int b)
    {
        var c = hashA[a].CompareTo(hashB[b]);
        if (c != 0)
        {
            return c;
        }

        for (var k = 0; k < keysA.Length; k++)
        {
            c = keysA[k] is Int64Array ia
                ? ia.Values[a].CompareTo(((Int64Array)keysB[k]).Values[b])
                : ((StringArray)keysA[k]).GetBytes(a).SequenceCompareTo(((StringArray)keysB[k]).GetBytes(b));
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    public static long[] Values(IArrowArray array) => ((Int64Array)array).Values.ToArray();

    private static ulong Mix(ulong h) => JoinHashing.Mix((long)h);

    private static void Widen<T>(ReadOnlySpan<T> source, long[] target)
        where T : struct, IConvertible
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = source[i].ToInt64(null);
        }
    }

    private static Int64Array Int64(long[] values, IArrowArray like)
    {
        var buffer = new ArrowBuffer(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        var validity = like.NullCount == 0 ? ArrowBuffer.Empty : CopyValidity(like);
        return new Int64Array(buffer, validity, values.Length, like.NullCount, 0);
    }

    private static ArrowBuffer CopyValidity(IArrowArray array)
    {
        var source = ArrowArrays.Validity(array);
        var offset = array.Data.Offset;
        var bytes = new byte[(array.Length + 7) / 8];
        for (var i = 0; i < array.Length; i++)
        {
            if (ArrowArrays.IsValid(source, offset, i))
            {
                bytes[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return new ArrowBuffer(bytes);
    }
}
