using System.Numerics;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>Builds Arrow arrays from computed buffers, and validity bitmaps from inputs, for the expression kernels.</summary>
internal static class ArrayFactory
{
    /// <summary>A fixed-width array over <paramref name="values"/>; <paramref name="validity"/> null means no nulls.</summary>
    public static IArrowArray Primitive<T>(IArrowType type, T[] values, byte[]? validity)
        where T : unmanaged
    {
        var nullCount = validity is null ? 0 : NullCount(validity, values.Length);
        var data = new ArrayData(type, values.Length, nullCount, 0, [nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(validity!), ArrayMemory<T>.Buffer(values)]);
        return ArrowArrayFactory.BuildArray(data);
    }

    /// <summary>A boolean array from value bits and validity bits (null: no nulls).</summary>
    public static BooleanArray Boolean(byte[] valueBits, byte[]? validity, int length)
    {
        var nullCount = validity is null ? 0 : NullCount(validity, length);
        return new BooleanArray(new ArrowBuffer(valueBits), nullCount == 0 ? ArrowBuffer.Empty : new ArrowBuffer(validity!), length, nullCount, 0);
    }

    /// <summary>An array of <paramref name="length"/> nulls of the given type.</summary>
    public static IArrowArray Nulls(IArrowType type, int length)
    {
        if (type is NullType)
        {
            return new NullArray(length);
        }

        var builder = ColumnBuilder.Create(type, length);
        for (var i = 0; i < length; i++)
        {
            builder.AppendNull();
        }

        return builder.Build();
    }

    /// <summary>An array repeating one value (a literal) <paramref name="length"/> times.</summary>
    public static IArrowArray Broadcast(IArrowType type, object? value, int length)
    {
        if (value is null)
        {
            return Nulls(type, length);
        }

        switch (value)
        {
            case bool b:
                var bits = new byte[(length + 7) >> 3];
                if (b)
                {
                    bits.AsSpan().Fill(0xFF);
                }

                return Boolean(bits, null, length);
            case string s:
                var utf8 = Encoding.UTF8.GetBytes(s);
                var offsets = new int[length + 1];
                var data = new byte[checked(utf8.Length * length)];
                for (var i = 0; i < length; i++)
                {
                    utf8.CopyTo(data, i * utf8.Length);
                    offsets[i + 1] = (i + 1) * utf8.Length;
                }

                return new StringArray(length, ArrayMemory<int>.Buffer(offsets), new ArrowBuffer(data), ArrowBuffer.Empty, 0, 0);
            case double[] vector:
                var builder = (DoubleListColumnBuilder)ColumnBuilder.Create(type, length);
                for (var i = 0; i < length; i++)
                {
                    builder.Append(vector);
                }

                return builder.Build();
            case sbyte v:
                return Filled(type, v, length);
            case short v:
                return Filled(type, v, length);
            case int v:
                return Filled(type, v, length);
            case long v:
                return Filled(type, v, length);
            case float v:
                return Filled(type, v, length);
            case double v:
                return Filled(type, v, length);
            default:
                throw new InvalidOperationException($"Cannot broadcast a {value.GetType().Name}.");
        }
    }

    /// <summary>The validity of rows where every input is valid; null when no input has nulls.</summary>
    public static byte[]? AndValidity(int length, IArrowArray a, IArrowArray? b = null)
    {
        byte[]? result = null;
        Combine(ref result, a, length);
        if (b is not null)
        {
            Combine(ref result, b, length);
        }

        return result;
    }

    /// <summary>A bitmap of <paramref name="length"/> set bits.</summary>
    public static byte[] AllSet(int length)
    {
        var bits = new byte[(length + 7) >> 3];
        bits.AsSpan().Fill(0xFF);
        return bits;
    }

    public static bool Get(byte[] bits, int index) => (bits[index >> 3] & (1 << (index & 7))) != 0;

    public static void Set(byte[] bits, int index) => bits[index >> 3] |= (byte)(1 << (index & 7));

    public static void Clear(byte[] bits, int index) => bits[index >> 3] &= (byte)~(1 << (index & 7));

    /// <summary>How many of the first <paramref name="length"/> bits are clear.</summary>
    public static int NullCount(byte[] validity, int length)
    {
        var full = length >> 3;
        var set = 0;
        for (var i = 0; i < full; i++)
        {
            set += BitOperations.PopCount(validity[i]);
        }

        for (var i = full << 3; i < length; i++)
        {
            set += Get(validity, i) ? 1 : 0;
        }

        return length - set;
    }

    private static void Combine(ref byte[]? result, IArrowArray array, int length)
    {
        if (array.NullCount == 0)
        {
            return;
        }

        if (array is NullArray)
        {
            result = new byte[(length + 7) >> 3];
            return;
        }

        var validity = ArrowArrays.Validity(array);

        var offset = array.Offset;
        if (result is null)
        {
            result = new byte[(length + 7) >> 3];
            if ((offset & 7) == 0)
            {
                validity.Slice(offset >> 3, result.Length).CopyTo(result);
                return;
            }

            for (var i = 0; i < length; i++)
            {
                if (ArrowArrays.IsValid(validity, offset, i))
                {
                    Set(result, i);
                }
            }

            return;
        }

        if ((offset & 7) == 0)
        {
            var source = validity.Slice(offset >> 3, result.Length);
            for (var i = 0; i < result.Length; i++)
            {
                result[i] &= source[i];
            }

            return;
        }

        for (var i = 0; i < length; i++)
        {
            if (!ArrowArrays.IsValid(validity, offset, i))
            {
                Clear(result, i);
            }
        }
    }

    private static IArrowArray Filled<T>(IArrowType type, T value, int length)
        where T : unmanaged
    {
        var values = new T[length];
        values.AsSpan().Fill(value);
        return Primitive(type, values, null);
    }
}
