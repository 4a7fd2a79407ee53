using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;
using Mlops.Features.FeatureStore.Materialization;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>Entity frames built for a retrieval: from request columns at one time (the consistency check), or the distinct keys of a time range.</summary>
internal static class EntityFrames
{
    public static Frame FromColumns(FeatureRequest request, IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, DateTimeOffset at)
    {
        var rowCount = entities.Count == 0 ? 0 : entities.First().Value.Count;
        var fields = new List<Field>();
        var columns = new List<IReadOnlyList<object?>>();
        foreach (var (name, values) in entities)
        {
            var entity = request.Snapshot.Entities.Values.FirstOrDefault(e => e.JoinKeys.Contains(name));
            var request_field = request.OnDemand.SelectMany(o => o.View.RequestSchema).FirstOrDefault(f => f.Name == name);
            var type = entity?.ValueType ?? request_field?.Type;
            if (type is null)
            {
                continue;
            }

            fields.Add(OnlineRows.FieldOf(name, type.Value));
            columns.Add(values);
        }

        fields.Add(new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false));
        var rows = Enumerable.Range(0, rowCount).Select(r => (IReadOnlyList<object?>)[.. columns.Select(c => c[r]), at]).ToList();
        return Frame.FromRows(new Schema(fields, null), rows);
    }

    public static Frame DistinctKeys(FeatureRequest request, IReadOnlyList<string> keys, DateTimeOffset start, DateTimeOffset end, FrameSession session)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<IReadOnlyList<object?>>();
        Schema? keySchema = null;
        var lo = FeatureStoreClient.Micros(start);
        var hi = FeatureStoreClient.Micros(end);
        foreach (var (view, features) in request.Views)
        {
            var slice = SourceReader.Slice(view, keys, features, features, session);
            keySchema ??= new Schema([.. keys.Select(k => new Field(k, slice.Source.Schema.GetFieldByName(k).DataType, true)), new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), false)], null);
            foreach (var batch in slice.Source.Select([.. keys, view.Source.TimestampField]).ReadBatches())
            {
                var ts = KeyArrays.ToMicros(batch.Column(keys.Count), view.Source.TimestampField);
                for (var r = 0; r < batch.Length; r++)
                {
                    if (!ts.IsValid(r) || ts.Values[r] < lo || ts.Values[r] > hi)
                    {
                        continue;
                    }

                    var values = keys.Select((_, k) => ArrowValues.GetValue(batch.Column(k), r)).ToArray();
                    if (values.All(v => v is not null) && seen.Add(string.Join('\u001f', values.Select(v => v!.ToString()))))
                    {
                        rows.Add([.. values, end.UtcDateTime]);
                    }
                }
            }
        }

        return rows.Count == 0 ? Frame.Empty(keySchema!) : Frame.FromRows(keySchema!, rows);
    }
}
