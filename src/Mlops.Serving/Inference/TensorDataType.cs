namespace Mlops.Serving.Inference;

/// <summary>The tensor element types of the Open Inference Protocol (its <c>datatype</c> strings: BOOL, UINT8 … BYTES).</summary>
public enum TensorDataType
{
    /// <summary>BOOL: one byte per element on the wire, <see cref="bool"/> in memory.</summary>
    Bool,

    /// <summary>UINT8: <see cref="byte"/>.</summary>
    UInt8,

    /// <summary>UINT16: <see cref="ushort"/>.</summary>
    UInt16,

    /// <summary>UINT32: <see cref="uint"/>.</summary>
    UInt32,

    /// <summary>UINT64: <see cref="ulong"/>.</summary>
    UInt64,

    /// <summary>INT8: <see cref="sbyte"/>.</summary>
    Int8,

    /// <summary>INT16: <see cref="short"/>.</summary>
    Int16,

    /// <summary>INT32: <see cref="int"/>.</summary>
    Int32,

    /// <summary>INT64: <see cref="long"/>.</summary>
    Int64,

    /// <summary>FP16: <see cref="Half"/>.</summary>
    Fp16,

    /// <summary>FP32: <see cref="float"/>.</summary>
    Fp32,

    /// <summary>FP64: <see cref="double"/>.</summary>
    Fp64,

    /// <summary>BYTES: variable-length byte strings, <c>byte[]</c> per element.</summary>
    Bytes,
}

/// <summary>The protocol names of <see cref="TensorDataType"/> and the .NET element type each is held in.</summary>
public static class TensorDataTypes
{
    private static readonly string[] Names = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"];

    private static readonly Type[] ElementTypes =
    [
        typeof(bool), typeof(byte), typeof(ushort), typeof(uint), typeof(ulong), typeof(sbyte), typeof(short), typeof(int),
        typeof(long), typeof(Half), typeof(float), typeof(double), typeof(byte[]),
    ];

    private static readonly int[] Sizes = [1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 0];

    /// <summary>The protocol's name of the type, such as <c>FP32</c>.</summary>
    public static string ToProtocolName(this TensorDataType type) => Names[(int)type];

    /// <summary>Parses a protocol name (exact, upper case as the protocol writes it); false for anything else.</summary>
    public static bool TryParse(string? name, out TensorDataType type)
    {
        var index = name is null ? -1 : Array.IndexOf(Names, name);
        type = index < 0 ? default : (TensorDataType)index;
        return index >= 0;
    }

    /// <summary>The .NET type of one element: the element type of <see cref="InferenceTensor.Data"/>.</summary>
    public static Type ElementType(this TensorDataType type) => ElementTypes[(int)type];

    /// <summary>Bytes per element in the protocol's binary layout (row-major, little-endian); 0 for BYTES, which is variable.</summary>
    public static int ElementSize(this TensorDataType type) => Sizes[(int)type];

    /// <summary>The data type whose elements are held in <paramref name="elementType"/>; false if none is.</summary>
    public static bool TryFromElementType(Type elementType, out TensorDataType type)
    {
        var index = Array.IndexOf(ElementTypes, elementType);
        type = index < 0 ? default : (TensorDataType)index;
        return index >= 0;
    }
}
