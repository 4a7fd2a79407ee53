using Apache.Arrow.Types;

namespace Mlops.Features.FeatureStore.Definitions;

/// <summary>The value types of entity join keys and features (Feast's <c>ValueType</c>, restricted to what frames hold).</summary>
public enum FeatureValueType
{
    /// <summary>32-bit integer.</summary>
    Int32,

    /// <summary>64-bit integer.</summary>
    Int64,

    /// <summary>32-bit float.</summary>
    Float32,

    /// <summary>64-bit float.</summary>
    Float64,

    /// <summary>UTF-8 string.</summary>
    String,

    /// <summary>Boolean.</summary>
    Bool,

    /// <summary>A point in time (Arrow <c>timestamp[us, UTC]</c>).</summary>
    UnixTimestamp,

    /// <summary>A list of doubles (an embedding).</summary>
    Float64List,
}

/// <summary>Maps <see cref="FeatureValueType"/> to and from Arrow types.</summary>
internal static class FeatureValueTypes
{
    public static IArrowType ToArrow(FeatureValueType type) => type switch
    {
        FeatureValueType.Int32 => Int32Type.Default,
        FeatureValueType.Int64 => Int64Type.Default,
        FeatureValueType.Float32 => FloatType.Default,
        FeatureValueType.Float64 => DoubleType.Default,
        FeatureValueType.String => StringType.Default,
        FeatureValueType.Bool => BooleanType.Default,
        FeatureValueType.UnixTimestamp => new TimestampType(TimeUnit.Microsecond, "UTC"),
        FeatureValueType.Float64List => new ListType(DoubleType.Default),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown feature value type."),
    };

    /// <summary>Whether a column of <paramref name="arrow"/> can hold values of <paramref name="type"/> (integers widen).</summary>
    public static bool Accepts(FeatureValueType type, IArrowType arrow) => type switch
    {
        FeatureValueType.Int32 => arrow is Int8Type or Int16Type or Int32Type or UInt8Type or UInt16Type,
        FeatureValueType.Int64 => arrow is Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type,
        FeatureValueType.Float32 => arrow is FloatType,
        FeatureValueType.Float64 => arrow is FloatType or DoubleType,
        FeatureValueType.String => arrow is StringType,
        FeatureValueType.Bool => arrow is BooleanType,
        FeatureValueType.UnixTimestamp => arrow is TimestampType or Date32Type,
        FeatureValueType.Float64List => arrow is ListType { ValueDataType: DoubleType },
        _ => false,
    };
}
