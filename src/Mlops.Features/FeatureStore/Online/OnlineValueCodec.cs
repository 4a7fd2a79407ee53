using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Mlops.Features.FeatureStore.Online;

/// <summary>
/// The online stores' one binary encoding of feature values (SQLite stores a row of them in one blob, Redis one per
/// hash field): a type tag, then the value, little-endian, lengths as LEB128 varints. It round-trips the CLR type
/// exactly (an int comes back an int, a float[] a float[]), which a JSON or text encoding would not.
/// </summary>
/// <remarks>
/// A row is <c>version byte (1), varint count, count × (varint name length, UTF-8 name, value)</c>. A value is
/// <c>tag</c> then: nothing (null, false, true); 8 bytes (long, double); 4 bytes (int, float); or a varint length and
/// the bytes (string as UTF-8, byte[]) or a varint element count and the elements (float[], double[], long[]).
/// </remarks>
internal static class OnlineValueCodec
{
    private const byte RowVersion = 1;

    private const byte TagNull = 0;
    private const byte TagInt64 = 1;
    private const byte TagInt32 = 2;
    private const byte TagDouble = 3;
    private const byte TagSingle = 4;
    private const byte TagFalse = 5;
    private const byte TagTrue = 6;
    private const byte TagString = 7;
    private const byte TagBytes = 8;
    private const byte TagSingleArray = 9;
    private const byte TagDoubleArray = 10;
    private const byte TagInt64Array = 11;

    /// <summary>Strict UTF-8: a string with a lone surrogate cannot round-trip, so it is refused instead of altered.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="value"/> is one of the types the stores keep.</summary>
    public static bool IsSupported(object? value) =>
        value is null or long or int or double or float or bool or string or byte[] or float[] or double[] or long[];

    /// <summary>Encodes one value (tag and data).</summary>
    /// <exception cref="ArgumentException">The value's type is not supported, or a string is not valid UTF-16; the message names <paramref name="feature"/>.</exception>
    public static byte[] EncodeValue(object? value, string feature)
    {
        var bytes = new byte[SizeOf(value, feature)];
        WriteValue(bytes, value);
        return bytes;
    }

    /// <summary>Decodes one value written by <see cref="EncodeValue"/>.</summary>
    /// <exception cref="FormatException">The bytes are not one encoded value.</exception>
    public static object? DecodeValue(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        var value = reader.ReadValue();
        if (!reader.AtEnd)
        {
            throw new FormatException($"{bytes.Length - reader.Position} bytes follow the encoded value.");
        }

        return value;
    }

    /// <summary>Encodes a row's values (every feature of the row, in the dictionary's order).</summary>
    /// <exception cref="ArgumentException">A value of an unsupported type or an empty feature name; the message names the feature.</exception>
    public static byte[] EncodeRow(IReadOnlyDictionary<string, object?> values)
    {
        var size = 1 + VarintSize((uint)values.Count);
        foreach (var (name, value) in values)
        {
            var nameBytes = NameByteCount(name);
            size += VarintSize((uint)nameBytes) + nameBytes + SizeOf(value, name);
        }

        var buffer = new byte[size];
        buffer[0] = RowVersion;
        var offset = 1 + WriteVarint(buffer.AsSpan(1), (uint)values.Count);
        foreach (var (name, value) in values)
        {
            offset += WriteVarint(buffer.AsSpan(offset), (uint)Utf8.GetByteCount(name));
            offset += Utf8.GetBytes(name, buffer.AsSpan(offset));
            offset += WriteValue(buffer.AsSpan(offset), value);
        }

        return buffer;
    }

    /// <summary>
    /// Decodes the features of a row that <paramref name="selection"/> asks for into <paramref name="into"/>; the others
    /// are skipped without being materialized.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a row this codec wrote.</exception>
    public static void DecodeRow(ReadOnlySpan<byte> payload, FeatureSelection selection, Dictionary<string, object?> into)
    {
        var reader = new Reader(payload);
        var version = reader.ReadByte();
        if (version != RowVersion)
        {
            throw new FormatException($"The row was written in format version {version}; this version reads {RowVersion}.");
        }

        var count = reader.ReadVarint();
        var remaining = selection.Count;
        for (var i = 0u; i < count && remaining > 0; i++)
        {
            var name = reader.ReadSpan(reader.ReadVarint());
            var wanted = selection.Find(name);
            if (wanted is null)
            {
                reader.SkipValue();
                continue;
            }

            if (into.TryAdd(wanted, reader.ReadValue()))
            {
                remaining--;
            }
        }
    }

    private static int NameByteCount(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("A feature name is null or empty.", nameof(name));
        }

        try
        {
            return Utf8.GetByteCount(name);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The feature name '{name}' is not valid UTF-16 (a lone surrogate).", nameof(name), e);
        }
    }

    private static int SizeOf(object? value, string feature)
    {
        switch (value)
        {
            case null or bool:
                return 1;
            case long or double:
                return 9;
            case int or float:
                return 5;
            case string s:
                int count;
                try
                {
                    count = Utf8.GetByteCount(s);
                }
                catch (EncoderFallbackException e)
                {
                    throw new ArgumentException($"The value of feature '{feature}' is a string that is not valid UTF-16 (a lone surrogate); it cannot be stored as UTF-8.", nameof(value), e);
                }

                return 1 + VarintSize((uint)count) + count;
            case byte[] b:
                return 1 + VarintSize((uint)b.Length) + b.Length;
            case float[] f:
                return 1 + VarintSize((uint)f.Length) + (f.Length * sizeof(float));
            case double[] d:
                return 1 + VarintSize((uint)d.Length) + (d.Length * sizeof(double));
            case long[] l:
                return 1 + VarintSize((uint)l.Length) + (l.Length * sizeof(long));
            default:
                throw new ArgumentException(
                    $"The value of feature '{feature}' has type {value.GetType().Name}; online stores keep long, int, double, float, bool, string, byte[], float[], double[], long[] or null.",
                    nameof(value));
        }
    }

    private static int WriteValue(Span<byte> destination, object? value)
    {
        switch (value)
        {
            case null:
                destination[0] = TagNull;
                return 1;
            case bool b:
                destination[0] = b ? TagTrue : TagFalse;
                return 1;
            case long l:
                destination[0] = TagInt64;
                BinaryPrimitives.WriteInt64LittleEndian(destination[1..], l);
                return 9;
            case int n:
                destination[0] = TagInt32;
                BinaryPrimitives.WriteInt32LittleEndian(destination[1..], n);
                return 5;
            case double d:
                destination[0] = TagDouble;
                BinaryPrimitives.WriteDoubleLittleEndian(destination[1..], d);
                return 9;
            case float f:
                destination[0] = TagSingle;
                BinaryPrimitives.WriteSingleLittleEndian(destination[1..], f);
                return 5;
            case string s:
            {
                destination[0] = TagString;
                var count = Utf8.GetByteCount(s);
                var header = 1 + WriteVarint(destination[1..], (uint)count);
                return header + Utf8.GetBytes(s, destination[header..]);
            }

            case byte[] bytes:
            {
                destination[0] = TagBytes;
                var header = 1 + WriteVarint(destination[1..], (uint)bytes.Length);
                bytes.CopyTo(destination[header..]);
                return header + bytes.Length;
            }

            case float[] floats:
                destination[0] = TagSingleArray;
                return 1 + WriteArray<float>(destination[1..], floats);
            case double[] doubles:
                destination[0] = TagDoubleArray;
                return 1 + WriteArray<double>(destination[1..], doubles);
            case long[] longs:
                destination[0] = TagInt64Array;
                return 1 + WriteArray<long>(destination[1..], longs);
            default:
                throw new ArgumentException($"Unsupported value type {value.GetType().Name}.", nameof(value));
        }
    }

    private static int WriteArray<T>(Span<byte> destination, T[] values)
        where T : unmanaged
    {
        var header = WriteVarint(destination, (uint)values.Length);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        bytes.CopyTo(destination[header..]);
        if (!BitConverter.IsLittleEndian)
        {
            ReverseElements(destination.Slice(header, bytes.Length), Marshal.SizeOf<T>());
        }

        return header + bytes.Length;
    }

    private static void ReverseElements(Span<byte> bytes, int width)
    {
        for (var i = 0; i < bytes.Length; i += width)
        {
            bytes.Slice(i, width).Reverse();
        }
    }

    private static int VarintSize(uint value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>A bounds-checked cursor: a truncated or corrupt payload is a <see cref="FormatException"/>, never an out-of-range read.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position == _bytes.Length;

        public byte ReadByte()
        {
            Need(1);
            return _bytes[Position++];
        }

        public uint ReadVarint()
        {
            uint value = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                var b = ReadByte();
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new FormatException($"A length at byte {Position} is longer than 5 bytes.");
        }

        public ReadOnlySpan<byte> ReadSpan(uint length)
        {
            Need(length);
            var span = _bytes.Slice(Position, (int)length);
            Position += (int)length;
            return span;
        }

        public object? ReadValue()
        {
            var at = Position;
            var tag = ReadByte();
            return tag switch
            {
                TagNull => null,
                TagFalse => false,
                TagTrue => true,
                TagInt64 => BinaryPrimitives.ReadInt64LittleEndian(ReadSpan(8)),
                TagInt32 => BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4)),
                TagDouble => BinaryPrimitives.ReadDoubleLittleEndian(ReadSpan(8)),
                TagSingle => BinaryPrimitives.ReadSingleLittleEndian(ReadSpan(4)),
                TagString => DecodeString(ReadSpan(ReadVarint())),
                TagBytes => ReadSpan(ReadVarint()).ToArray(),
                TagSingleArray => ReadArray<float>(),
                TagDoubleArray => ReadArray<double>(),
                TagInt64Array => ReadArray<long>(),
                _ => throw new FormatException($"Unknown value tag {tag} at byte {at}."),
            };
        }

        public void SkipValue()
        {
            var at = Position;
            var tag = ReadByte();
            switch (tag)
            {
                case TagNull or TagFalse or TagTrue:
                    break;
                case TagInt64 or TagDouble:
                    ReadSpan(8);
                    break;
                case TagInt32 or TagSingle:
                    ReadSpan(4);
                    break;
                case TagString or TagBytes:
                    ReadSpan(ReadVarint());
                    break;
                case TagSingleArray:
                    ReadSpan(checked(ReadVarint() * sizeof(float)));
                    break;
                case TagDoubleArray or TagInt64Array:
                    ReadSpan(checked(ReadVarint() * sizeof(long)));
                    break;
                default:
                    throw new FormatException($"Unknown value tag {tag} at byte {at}.");
            }
        }

        private static string DecodeString(ReadOnlySpan<byte> bytes)
        {
            try
            {
                return Utf8.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new FormatException("A string value is not valid UTF-8.", e);
            }
        }

        private T[] ReadArray<T>()
            where T : unmanaged
        {
            var count = ReadVarint();
            var width = (uint)Marshal.SizeOf<T>();
            Need((ulong)count * width);
            var values = new T[count];
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            _bytes.Slice(Position, bytes.Length).CopyTo(bytes);
            if (!BitConverter.IsLittleEndian)
            {
                ReverseElements(bytes, (int)width);
            }

            Position += bytes.Length;
            return values;
        }

        private readonly void Need(ulong count)
        {
            if ((ulong)(_bytes.Length - Position) < count)
            {
                throw new FormatException($"The payload ends at byte {_bytes.Length}; {count} more bytes were expected at byte {Position}.");
            }
        }
    }
}
