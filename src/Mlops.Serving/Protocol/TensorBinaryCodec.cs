using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Mlops.Serving.Inference;

namespace Mlops.Serving.Protocol;

/// <summary>
/// The protocol's binary tensor layout, shared by REST's binary tensor data extension and gRPC's
/// <c>raw_input_contents</c>/<c>raw_output_contents</c>: elements row-major, little-endian, without padding; BOOL one
/// byte (0 or 1); BYTES each element a 4-byte unsigned little-endian length followed by its bytes.
/// </summary>
internal static class TensorBinaryCodec
{
    /// <summary>The elements a shape holds, or an invalid request naming the tensor for a negative dimension or an overflow.</summary>
    public static long ElementCount(string what, ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw InferenceException.InvalidRequest($"{what}: shape {Format(shape)} has a negative dimension.");
            }

            if (dimension != 0 && count > long.MaxValue / dimension)
            {
                throw InferenceException.InvalidRequest($"{what}: shape {Format(shape)} holds more elements than a tensor can.");
            }

            count *= dimension;
        }

        return count;
    }

    /// <summary>A shape as the protocol writes it, such as <c>[2,3]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var text = new System.Text.StringBuilder("[");
        for (var i = 0; i < shape.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ",").Append(shape[i]);
        }

        return text.Append(']').ToString();
    }

    /// <summary>Decodes the binary data of a tensor of <paramref name="count"/> elements; an invalid request naming it unless the size is exact.</summary>
    public static Array Decode(string what, TensorDataType type, ReadOnlySpan<long> shape, long count, ReadOnlySpan<byte> bytes)
    {
        if (type == TensorDataType.Bytes)
        {
            return DecodeBytes(what, shape, count, bytes);
        }

        var size = type.ElementSize();
        if (bytes.Length % size != 0 || bytes.Length / size != count)
        {
            var needed = count <= long.MaxValue / size ? (count * size).ToString(CultureInfo.InvariantCulture) : "more";
            throw InferenceException.InvalidRequest(
                $"{what}: {bytes.Length} bytes of binary data, but shape {Format(shape)} of {type.ToProtocolName()} needs {count} × {size} = {needed} bytes.");
        }

        return type switch
        {
            TensorDataType.Bool => DecodeBool(what, bytes),
            TensorDataType.UInt8 => bytes.ToArray(),
            TensorDataType.Int8 => Copy<sbyte>(bytes),
            TensorDataType.UInt16 => FromLittleEndian(Copy<ushort>(bytes)),
            TensorDataType.Int16 => FromLittleEndian(Copy<short>(bytes)),
            TensorDataType.UInt32 => FromLittleEndian(Copy<uint>(bytes)),
            TensorDataType.Int32 => FromLittleEndian(Copy<int>(bytes)),
            TensorDataType.UInt64 => FromLittleEndian(Copy<ulong>(bytes)),
            TensorDataType.Int64 => FromLittleEndian(Copy<long>(bytes)),
            TensorDataType.Fp16 => FromLittleEndian(Copy<Half>(bytes)),
            TensorDataType.Fp32 => FromLittleEndian(Copy<float>(bytes)),
            TensorDataType.Fp64 => FromLittleEndian(Copy<double>(bytes)),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    /// <summary>The length of a tensor's binary data.</summary>
    public static long EncodedLength(InferenceTensor tensor)
    {
        if (tensor.Datatype != TensorDataType.Bytes)
        {
            return tensor.Data.LongLength * tensor.Datatype.ElementSize();
        }

        long length = 0;
        foreach (var element in (byte[][])tensor.Data)
        {
            length += 4 + element.Length;
        }

        return length;
    }

    /// <summary>Writes a tensor's binary data into <paramref name="destination"/>, exactly <see cref="EncodedLength"/> bytes.</summary>
    public static void Encode(InferenceTensor tensor, Span<byte> destination)
    {
        // On the datatype, not the array's runtime type: the CLR lets an sbyte[] pass for a byte[] (int[] for uint[]...).
        switch (tensor.Datatype, tensor.Data)
        {
            case (TensorDataType.Bytes, byte[][] elements):
                var offset = 0;
                foreach (var element in elements)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)element.Length);
                    element.CopyTo(destination[(offset + 4)..]);
                    offset += 4 + element.Length;
                }

                break;
            case (TensorDataType.Bool, bool[] flags):
                // Safe code only ever stores 0 or 1 in a bool; normalise anyway, since the wire allows nothing else.
                for (var i = 0; i < flags.Length; i++)
                {
                    destination[i] = flags[i] ? (byte)1 : (byte)0;
                }

                break;
            case (TensorDataType.UInt8, byte[] a): a.CopyTo(destination); break;
            case (TensorDataType.Int8, sbyte[] a): MemoryMarshal.AsBytes(a.AsSpan()).CopyTo(destination); break;
            case (TensorDataType.UInt16, ushort[] a): WriteLittleEndian<ushort>(a, destination); break;
            case (TensorDataType.Int16, short[] a): WriteLittleEndian(MemoryMarshal.Cast<short, ushort>(a), destination); break;
            case (TensorDataType.UInt32, uint[] a): WriteLittleEndian<uint>(a, destination); break;
            case (TensorDataType.Int32, int[] a): WriteLittleEndian(MemoryMarshal.Cast<int, uint>(a), destination); break;
            case (TensorDataType.UInt64, ulong[] a): WriteLittleEndian<ulong>(a, destination); break;
            case (TensorDataType.Int64, long[] a): WriteLittleEndian(MemoryMarshal.Cast<long, ulong>(a), destination); break;
            case (TensorDataType.Fp16, Half[] a): WriteLittleEndian(MemoryMarshal.Cast<Half, ushort>(a), destination); break;
            case (TensorDataType.Fp32, float[] a): WriteLittleEndian(MemoryMarshal.Cast<float, uint>(a), destination); break;
            case (TensorDataType.Fp64, double[] a): WriteLittleEndian(MemoryMarshal.Cast<double, ulong>(a), destination); break;
            default: throw new InvalidOperationException($"Tensor '{tensor.Name}' holds {tensor.Data.GetType().Name}, not a protocol element type.");
        }
    }

    /// <summary>A tensor's binary data in a new array.</summary>
    public static byte[] Encode(InferenceTensor tensor)
    {
        var length = EncodedLength(tensor);
        if (length > Array.MaxLength)
        {
            throw new InferenceException(InferenceErrorKind.ModelFailed, $"output '{tensor.Name}' is {length} bytes, more than one message can carry.");
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        Encode(tensor, bytes);
        return bytes;
    }

    private static bool[] DecodeBool(string what, ReadOnlySpan<byte> bytes)
    {
        var invalid = bytes.IndexOfAnyExcept((byte)0, (byte)1);
        if (invalid >= 0)
        {
            throw InferenceException.InvalidRequest($"{what}: BOOL element {invalid} is the byte {bytes[invalid]}; the binary layout allows only 0 and 1.");
        }

        return Copy<bool>(bytes);
    }

    private static byte[][] DecodeBytes(string what, ReadOnlySpan<long> shape, long count, ReadOnlySpan<byte> bytes)
    {
        // Each element takes at least its 4-byte length, which bounds the array before it is allocated.
        if (count > bytes.Length / 4)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: shape {Format(shape)} needs {count} BYTES elements (a 4-byte length each, at least), but the binary data is only {bytes.Length} bytes.");
        }

        var elements = new byte[count][];
        var offset = 0;
        for (var i = 0; i < elements.Length; i++)
        {
            if (bytes.Length - offset < 4)
            {
                throw InferenceException.InvalidRequest($"{what}: the binary data ends inside the 4-byte length of BYTES element {i} of {count}.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
            offset += 4;
            if (length > (uint)(bytes.Length - offset))
            {
                throw InferenceException.InvalidRequest(
                    $"{what}: BYTES element {i} claims {length} bytes but only {bytes.Length - offset} remain in the tensor's binary data.");
            }

            elements[i] = bytes.Slice(offset, (int)length).ToArray();
            offset += (int)length;
        }

        if (offset != bytes.Length)
        {
            throw InferenceException.InvalidRequest(
                $"{what}: {bytes.Length - offset} bytes of binary data are left over after the {count} BYTES elements of shape {Format(shape)}.");
        }

        return elements;
    }

    private static T[] Copy<T>(ReadOnlySpan<byte> bytes)
        where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(bytes.Length / System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        bytes.CopyTo(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    // The wire is little-endian; on a big-endian host every element's bytes are reversed in place.
    private static T[] FromLittleEndian<T>(T[] array)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            ReverseInPlace(MemoryMarshal.AsBytes(array.AsSpan()), System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        }

        return array;
    }

    private static void WriteLittleEndian<T>(ReadOnlySpan<T> source, Span<byte> destination)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(source);
        bytes.CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseInPlace(destination[..bytes.Length], System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        }
    }

    private static void ReverseInPlace(Span<byte> bytes, int elementSize)
    {
        for (var i = 0; i + elementSize <= bytes.Length; i += elementSize)
        {
            bytes.Slice(i, elementSize).Reverse();
        }
    }
}
