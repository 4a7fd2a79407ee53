using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Online;

namespace Mlops.Features.FeatureStore.Materialization;

/// <summary>Converts between Arrow rows and the online store's <see cref="OnlineRow"/> values.</summary>
internal static class OnlineRows
{
    private static readonly DateTime Epoch = DateTime.UnixEpoch;

    /// <summary>The online rows of <paramref name="rows"/> positions of a batch holding the join keys, timestamps and features by name.</summary>
    public static List<OnlineRow> FromBatch(RecordBatch batch, FeatureView view, IReadOnlyList<string> joinKeys, IReadOnlyList<string> features, ReadOnlySpan<int> rows)
    {
        var keyColumns = joinKeys.Select(k => batch.Column(batch.Schema.GetFieldIndex(k))).ToArray();
        var ts = Retrieval.KeyArrays.ToMicros(batch.Column(batch.Schema.GetFieldIndex(view.Source.TimestampField)), view.Source.TimestampField);
        var createdIndex = view.Source.CreatedTimestampField is { } c ? batch.Schema.GetFieldIndex(c) : -1;
        var created = createdIndex < 0 ? null : Retrieval.KeyArrays.ToMicros(batch.Column(createdIndex), view.Source.CreatedTimestampField!);
        var featureColumns = features.Select(f => batch.Column(batch.Schema.GetFieldIndex(f))).ToArray();
        var result = new List<OnlineRow>(rows.Length);
        foreach (var r in rows)
        {
            var key = new KeyValuePair<string, object>[keyColumns.Length];
            var skip = false;
            for (var k = 0; k < keyColumns.Length; k++)
            {
                var value = ArrowValues.GetValue(keyColumns[k], r);
                if (value is null)
                {
                    skip = true;
                    break;
                }

                key[k] = new(joinKeys[k], value switch
                {
                    sbyte v => (long)v,
                    short v => (long)v,
                    byte v => (long)v,
                    ushort v => (long)v,
                    uint v => (long)v,
                    bool v => v ? 1L : 0L, // as the join normalizes them, and as online reads key them
                    _ => value,
                });
            }

            if (skip || !ts.IsValid(r))
            {
                continue;
            }

            var values = new Dictionary<string, object?>(features.Count, StringComparer.Ordinal);
            for (var f = 0; f < features.Count; f++)
            {
                values[features[f]] = ToStored(ArrowValues.GetValue(featureColumns[f], r));
            }

            result.Add(new OnlineRow(
                new EntityKey(key),
                FromMicros(ts.Values[r]),
                created is not null && created.IsValid(r) ? FromMicros(created.Values[r]) : null,
                values));
        }

        return result;
    }

    /// <summary>A stored value back in the feature's declared type (timestamps are stored as microseconds).</summary>
    public static object? FromStored(object? value, FeatureValueType type) => value switch
    {
        null => null,
        long micros when type == FeatureValueType.UnixTimestamp => FromMicros(micros),
        long l when type == FeatureValueType.Int32 => (int)l,
        double d when type == FeatureValueType.Float32 => (float)d,
        _ => value,
    };

    public static DateTimeOffset FromMicros(long micros) => new(Epoch.AddTicks(micros * 10), TimeSpan.Zero);

    /// <summary>Builds an Arrow column of <paramref name="type"/> from CLR values (on-demand inputs online).</summary>
    public static IArrowArray Column(FeatureValueType type, IReadOnlyList<object?> values)
    {
        var builder = ColumnBuilder.Create(FeatureValueTypes.ToArrow(type), Math.Max(1, values.Count));
        foreach (var value in values)
        {
            builder.AppendObject(value);
        }

        return builder.Build();
    }

    public static Field FieldOf(string name, FeatureValueType type) => new(name, FeatureValueTypes.ToArrow(type), true);

    private static object? ToStored(object? value) => value switch
    {
        DateTime t => (t.ToUniversalTime() - Epoch).Ticks / 10,
        DateOnly d => (d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - Epoch).Ticks / 10,
        sbyte v => (int)v,
        short v => (int)v,
        byte v => (int)v,
        ushort v => (int)v,
        uint v => (long)v,
        _ => value,
    };

    /// <summary>Whether <paramref name="type"/> is an Arrow type <see cref="ColumnBuilder"/> builds.</summary>
    public static bool Buildable(IArrowType type) => type is not (Date64Type or NullType);
}
