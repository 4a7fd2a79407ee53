namespace Mlops.Distributed.Collectives;

/// <summary>The element types collectives work on.</summary>
public enum CollectiveDataType : byte
{
    /// <summary>32-bit IEEE float (<see cref="float"/>).</summary>
    Float32 = 1,

    /// <summary>64-bit IEEE float (<see cref="double"/>).</summary>
    Float64 = 2,

    /// <summary>32-bit signed integer (<see cref="int"/>).</summary>
    Int32 = 3,

    /// <summary>64-bit signed integer (<see cref="long"/>).</summary>
    Int64 = 4,
}

/// <summary>Sizes and names of <see cref="CollectiveDataType"/> values.</summary>
public static class CollectiveDataTypes
{
    /// <summary>The size of one element in bytes.</summary>
    /// <param name="type">The type.</param>
    /// <returns>4 or 8.</returns>
    public static int SizeOf(CollectiveDataType type) => type switch
    {
        CollectiveDataType.Float32 or CollectiveDataType.Int32 => 4,
        CollectiveDataType.Float64 or CollectiveDataType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a collective data type."),
    };

    /// <summary>The data type of a .NET element type.</summary>
    /// <typeparam name="T"><see cref="float"/>, <see cref="double"/>, <see cref="int"/> or <see cref="long"/>.</typeparam>
    /// <returns>The data type.</returns>
    /// <exception cref="NotSupportedException">Any other type.</exception>
    public static CollectiveDataType Of<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? CollectiveDataType.Float32
        : typeof(T) == typeof(double) ? CollectiveDataType.Float64
        : typeof(T) == typeof(int) ? CollectiveDataType.Int32
        : typeof(T) == typeof(long) ? CollectiveDataType.Int64
        : throw new NotSupportedException($"Collectives work on float, double, int and long, not {typeof(T).Name}.");

    /// <summary>A short lower-case name (<c>float32</c>).</summary>
    /// <param name="type">The type.</param>
    /// <returns>The name.</returns>
    public static string Name(CollectiveDataType type) => type switch
    {
        CollectiveDataType.Float32 => "float32",
        CollectiveDataType.Float64 => "float64",
        CollectiveDataType.Int32 => "int32",
        CollectiveDataType.Int64 => "int64",
        _ => $"type {(byte)type}",
    };
}
