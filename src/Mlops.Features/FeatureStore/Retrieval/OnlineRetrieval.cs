using Apache.Arrow;
using Mlops.Arrow;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Materialization;
using Mlops.Features.FeatureStore.Online;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>
/// Online reads: one store read per feature view, statuses with the TTL enforced against the clock (or against the
/// time a consistency check gives), on-demand views computed from the values read and the request's fields.
/// </summary>
internal static class OnlineRetrieval
{
    public static async Task<OnlineFeaturesResponse> ReadAsync(OnlineStore store, string project, TimeProvider time, IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, FeatureRequest request, DateTimeOffset? at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var rowCount = entities.Count == 0 ? 0 : entities.First().Value.Count;
        foreach (var (name, values) in entities)
        {
            if (values is null || values.Count != rowCount)
            {
                throw new EntityDataException($"Entity column '{name}' has {values?.Count ?? 0} values but '{entities.First().Key}' has {rowCount}; give every column one value per entity row.");
            }
        }

        var now = at ?? time.GetUtcNow();
        var columns = new Dictionary<string, OnlineFeatureVector>(StringComparer.Ordinal);
        var keyNames = new List<string>();
        foreach (var (view, features) in request.Views)
        {
            var joinKeys = request.JoinKeys(view);
            var keys = new EntityKey[rowCount];
            foreach (var key in joinKeys)
            {
                if (!entities.ContainsKey(key))
                {
                    throw new EntityDataException($"The entity rows have no join key '{key}' of feature view '{view.Name}'; they have {string.Join(", ", entities.Keys)}.");
                }

                if (!keyNames.Contains(key))
                {
                    keyNames.Add(key);
                }
            }

            for (var r = 0; r < rowCount; r++)
            {
                keys[r] = new EntityKey(joinKeys.Select(k => new KeyValuePair<string, object>(k, KeyValue(entities[k][r], k, view, r))));
            }

            var records = await store.ReadAsync(project, view.Name, keys, features, ct).ConfigureAwait(false);
            foreach (var feature in features)
            {
                var type = view.FindFeature(feature)!.Type;
                var values = new object?[rowCount];
                var statuses = new FeatureStatus[rowCount];
                var times = new DateTimeOffset?[rowCount];
                for (var r = 0; r < rowCount; r++)
                {
                    var record = records[r];
                    if (record is null || !record.Values.TryGetValue(feature, out var value))
                    {
                        statuses[r] = FeatureStatus.NotFound;
                        continue;
                    }

                    values[r] = OnlineRows.FromStored(value, type);
                    times[r] = record.EventTimestamp;
                    statuses[r] = view.Ttl != TimeSpan.Zero && (record.EventTimestamp < now - view.Ttl || (at is not null && record.EventTimestamp > now)) ? FeatureStatus.OutsideMaxAge
                        : value is null ? FeatureStatus.NullValue
                        : FeatureStatus.Present;
                }

                columns[request.ColumnOf(view.Name, feature)] = new OnlineFeatureVector(values, statuses, times);
            }
        }

        foreach (var (odfv, outputs) in request.OnDemand)
        {
            var inputs = new List<(string Name, IArrowArray Column)>();
            foreach (var input in odfv.Inputs)
            {
                var (viewName, feature) = FeatureReference.Parse(input, odfv.Name);
                var type = request.Snapshot.FeatureViews[viewName].FindFeature(feature)!.Type;
                var vector = columns[request.ColumnOf(viewName, feature)];
                inputs.Add((feature, OnlineRows.Column(type, vector.Values.Select((v, i) => vector.Statuses[i] == FeatureStatus.OutsideMaxAge ? null : v).ToArray())));
            }

            foreach (var field in odfv.RequestSchema)
            {
                if (!entities.TryGetValue(field.Name, out var values))
                {
                    throw new EntityDataException($"On-demand feature view '{odfv.Name}' needs request field '{field.Name}', which the entity rows do not have.");
                }

                inputs.Add((field.Name, OnlineRows.Column(field.Type, values)));
            }

            var schema = new Schema(inputs.Select(i => new Field(i.Name, i.Column.Data.DataType, true)), null);
            var output = FeatureRequest.RunTransform(odfv, new RecordBatch(schema, inputs.Select(i => i.Column), rowCount));
            foreach (var feature in outputs)
            {
                var column = output.Column(output.Schema.GetFieldIndex(feature));
                var values = Enumerable.Range(0, rowCount).Select(r => ArrowValues.GetValue(column, r)).ToArray();
                columns[request.ColumnOf(odfv.Name, feature)] = new OnlineFeatureVector(values, values.Select(v => v is null ? FeatureStatus.NullValue : FeatureStatus.Present).ToArray(), new DateTimeOffset?[rowCount]);
            }
        }

        var names = new List<string>(keyNames);
        var results = keyNames.Select(k => new OnlineFeatureVector(entities[k], Enumerable.Repeat(FeatureStatus.Present, rowCount).ToArray(), new DateTimeOffset?[rowCount])).ToList();
        foreach (var (_, output) in request.Outputs)
        {
            names.Add(output);
            results.Add(columns[output]);
        }

        return new OnlineFeaturesResponse(names, results);
    }

    private static object KeyValue(object? value, string key, FeatureView view, int row) => value switch
    {
        null => throw new EntityDataException($"Entity row {row} has a null join key '{key}' (feature view '{view.Name}')."),
        bool b => b ? 1L : 0L,
        int or long or string => value,
        short or sbyte or byte or ushort or uint => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new EntityDataException($"Entity row {row}: join key '{key}' of feature view '{view.Name}' is a {value.GetType().Name}; join keys are integers, strings or booleans."),
    };
}
