using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;
using Mlops.Features;

namespace Mlops.Features.Tests.Joins;

/// <summary>Small frames from readable specs, and row comparison as multisets.</summary>
internal static class JoinTestFrames
{
    /// <summary>
    /// A frame from column specs like <c>"k:int"</c> (nullable) or <c>"k:int!"</c> (not nullable) and rows,
    /// split into batches (and partitions) of <paramref name="batchSize"/> rows.
    /// </summary>
    public static Frame Of(string[] columns, object?[][] rows, int batchSize = 2) =>
        Frame.FromRows(SchemaOf(columns), rows, batchSize);

    public static Schema SchemaOf(params string[] columns) =>
        new(columns.Select(ParseField), null);

    public static Field ParseField(string spec)
    {
        var parts = spec.Split(':');
        var nullable = !parts[1].EndsWith('!');
        return new Field(parts[0], TypeOf(parts[1].TrimEnd('!')), nullable);
    }

    public static IArrowType TypeOf(string name) => name switch
    {
        "bool" => BooleanType.Default,
        "byte" => Int8Type.Default,
        "short" => Int16Type.Default,
        "int" => Int32Type.Default,
        "long" => Int64Type.Default,
        "float" => FloatType.Default,
        "double" => DoubleType.Default,
        "string" => StringType.Default,
        "date" => Date32Type.Default,
        "timestamp" => new TimestampType(TimeUnit.Microsecond, "UTC"),
        "vector" => new ListType(new Field("item", DoubleType.Default, true)),
        _ => throw new ArgumentException("Unknown type " + name),
    };

    /// <summary>A row as text that tells types apart (1 as int and 1L as long differ) and keeps -0.0 and NaN visible.</summary>
    public static string Canon(IEnumerable<object?> values) => string.Join(" | ", values.Select(Canon));

    public static string Canon(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        double d => "double:" + (d == 0 && double.IsNegative(d) ? "-0" : double.IsNaN(d) ? "NaN" : d.ToString("R", CultureInfo.InvariantCulture)),
        float f => "float:" + (f == 0 && float.IsNegative(f) ? "-0" : float.IsNaN(f) ? "NaN" : f.ToString("R", CultureInfo.InvariantCulture)),
        _ => value.GetType().Name + ":" + ArrowValues.Format(value),
    };

    public static List<string> Sorted(IEnumerable<IEnumerable<object?>> rows) =>
        rows.Select(Canon).Order(StringComparer.Ordinal).ToList();

    /// <summary>Asserts the frame holds exactly these rows, in any order.</summary>
    public static void AssertRows(Frame frame, params object?[][] expected) =>
        Assert.Equal(Sorted(expected), Sorted(frame.Collect().Select(r => r.Values)));

    public static void AssertSchema(Frame frame, params string[] columns)
    {
        var expected = SchemaOf(columns).FieldsList.Select(Describe).ToArray();
        var actual = frame.Schema.FieldsList.Select(Describe).ToArray();
        Assert.Equal(expected, actual);
    }

    public static string Describe(Field f) => $"{f.Name}:{f.DataType.Name}{(f.DataType is TimestampType t ? "/" + t.Unit : string.Empty)}{(f.IsNullable ? string.Empty : "!")}";

    /// <summary>The same data with a different row-count estimate (to steer which side the join builds on).</summary>
    public static Frame WithEstimate(Frame frame, long? estimate) =>
        Frame.FromPartitions(frame.Schema, frame.Partitions, estimate);

    /// <summary>All batches of a frame merged into one partition.</summary>
    public static Frame SinglePartition(Frame frame)
    {
        var batches = frame.ReadBatches().ToList();
        return batches.Count == 0 ? Frame.Empty(frame.Schema) : Frame.FromBatches(frame.Schema, [ArrowArrays.Concat(frame.Schema, batches)]);
    }
}
