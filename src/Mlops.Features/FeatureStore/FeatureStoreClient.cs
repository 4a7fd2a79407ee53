using Apache.Arrow;
using Array = System.Array;
using Apache.Arrow.Types;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Hosting;
using Mlops.Arrow;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Materialization;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.FeatureStore.Registry;
using Mlops.Features.FeatureStore.Retrieval;

namespace Mlops.Features.FeatureStore;

/// <summary>
/// The feature store (Feast's <c>FeatureStore</c>): definitions applied to a <see cref="FeatureRegistry"/>,
/// point-in-time correct training sets from the views' file sources, materialization into an <see cref="OnlineStore"/>,
/// and online reads with statuses and TTL enforced against the injected <see cref="TimeProvider"/> (Feast's Python
/// server never says OUTSIDE_MAX_AGE; this one does). Thread-safe; unsealed with virtual members so consumers can fake it.
/// </summary>
public class FeatureStoreClient
{
    private readonly FeatureRegistry _registry;
    private readonly OnlineStore _online;
    private readonly FeatureStoreOptions _options;
    private readonly FrameSession _session;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, OnDemandFeatureView> _transforms = new(StringComparer.Ordinal);

    /// <summary>Creates a client.</summary>
    /// <param name="registry">The registry (its project is the client's).</param>
    /// <param name="onlineStore">The online store.</param>
    /// <param name="options">Memory budget, spill folder, write batch size; defaults if null.</param>
    /// <param name="session">Reads the sources; <see cref="FrameSession.Default"/> if null.</param>
    /// <param name="timeProvider">The clock of online TTL checks and incremental materialization.</param>
    /// <param name="logger">Logs materialization progress.</param>
    public FeatureStoreClient(FeatureRegistry registry, OnlineStore onlineStore, FeatureStoreOptions? options = null, FrameSession? session = null, TimeProvider? timeProvider = null, ILogger<FeatureStoreClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(onlineStore);
        _registry = registry;
        _online = onlineStore;
        _options = MlopsOptions.Validate(options ?? new FeatureStoreOptions { Project = registry.Project }, new FeatureStoreOptionsValidator());
        _session = session ?? FrameSession.Default;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>For mocking.</summary>
    protected FeatureStoreClient()
    {
        _registry = null!;
        _online = null!;
        _options = new FeatureStoreOptions();
        _session = FrameSession.Default;
        _time = TimeProvider.System;
        _logger = NullLogger.Instance;
    }

    /// <summary>The project.</summary>
    public virtual string Project => _registry.Project;

    /// <summary>The registry.</summary>
    public virtual FeatureRegistry Registry => _registry;

    /// <summary>Receives spill counters of each join and materialization (tests assert bounded memory with it).</summary>
    internal Action<SpillStatistics>? SpillObserver { get; set; }

    /// <summary>Makes on-demand views' transforms known to this client (their code is not stored in the registry).</summary>
    /// <param name="views">The views, with transforms.</param>
    public virtual void RegisterTransforms(params OnDemandFeatureView[] views)
    {
        ArgumentNullException.ThrowIfNull(views);
        lock (_transforms)
        {
            foreach (var view in views)
            {
                if (view.Transform is null)
                {
                    throw new ArgumentException($"On-demand feature view '{view.Name}' has no transform to register.", nameof(views));
                }

                _transforms[view.Name] = view;
            }
        }
    }

    /// <summary>The registry's diff for <paramref name="definitions"/> (see <see cref="FeatureRegistry.Plan"/>).</summary>
    /// <param name="definitions">The definitions.</param>
    /// <param name="deleteMissing">Whether objects not given would be deleted.</param>
    public virtual RegistryPlan Plan(IEnumerable<IFeatureDefinition> definitions, bool deleteMissing = false) => _registry.Plan(definitions, deleteMissing);

    /// <summary>
    /// Applies definitions (see <see cref="FeatureRegistry.Apply"/>: additive unless <paramref name="deleteMissing"/>),
    /// registers the on-demand views' transforms, and removes the online rows of deleted feature views.
    /// </summary>
    /// <param name="definitions">The definitions.</param>
    /// <param name="deleteMissing">Whether to delete registry objects not given (the CLI's <c>feast apply</c>), or keep them (the SDK's).</param>
    /// <param name="cancellationToken">Cancels the online clean-up (the registry change is already made).</param>
    public virtual async Task<RegistryPlan> ApplyAsync(IEnumerable<IFeatureDefinition> definitions, bool deleteMissing = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var list = definitions.ToList();
        var plan = _registry.Apply(list, deleteMissing);
        RegisterTransforms(list.OfType<OnDemandFeatureView>().Where(o => o.Transform is not null).ToArray());
        foreach (var deleted in plan.Of(RegistryChangeType.Delete).Where(c => c.Kind == "feature view"))
        {
            await _online.DeleteFeatureViewAsync(Project, deleted.Name, cancellationToken).ConfigureAwait(false);
        }

        return plan;
    }

    /// <summary>
    /// A point-in-time correct frame (Feast's <c>get_historical_features</c>): every entity row, in order, with its
    /// columns and, per requested feature, the value of the latest feature row with the same join keys and
    /// <c>event_ts &lt;= entity event_timestamp</c> and, when the view's TTL is not zero, <c>&gt;= entity ts - ttl</c>;
    /// ties go to the latest created timestamp (then the row read last); no match gives null. Lazy: each action runs the
    /// join (a streaming, partitioned sort-merge that spills past <see cref="FeatureStoreOptions.MemoryBudgetBytes"/>).
    /// </summary>
    /// <param name="entities">The entity rows: every requested view's join keys and <c>event_timestamp</c> (or its single timestamp column).</param>
    /// <param name="features"><c>view:feature</c> references, feature views or on-demand views.</param>
    /// <param name="fullFeatureNames">Name columns <c>view__feature</c> instead of <c>feature</c>.</param>
    /// <exception cref="FeatureReferenceException">A view or feature is unknown.</exception>
    /// <exception cref="FeatureNameCollisionException">Two features get one name, or a feature the name of an entity column.</exception>
    /// <exception cref="EntityDataException">A join key column is missing or of the wrong type, or there is no event timestamp.</exception>
    public virtual Frame GetHistoricalFeatures(Frame entities, IReadOnlyList<string> features, bool fullFeatureNames = false)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var request = FeatureRequest.Resolve(Snapshot(), features, fullFeatureNames);
        var timestamp = EntityTimestampColumn(entities.Schema);
        var slices = request.Views.Select(v => SliceFor(request, v.View, v.Features, entities.Schema)).ToList();
        return Finish(PointInTimeJoin.Create(entities, timestamp, slices, Spill()), request, entities.Schema);
    }

    /// <summary>A point-in-time frame of a feature service's features (see <see cref="GetHistoricalFeatures(Frame, IReadOnlyList{string}, bool)"/>).</summary>
    /// <param name="entities">The entity rows.</param>
    /// <param name="service">The service (by its name in the registry).</param>
    /// <param name="fullFeatureNames">Name columns <c>view__feature</c>.</param>
    public virtual Frame GetHistoricalFeatures(Frame entities, FeatureService service, bool fullFeatureNames = false)
    {
        ArgumentNullException.ThrowIfNull(service);
        return GetHistoricalFeatures(entities, FeatureRequest.FromService(Snapshot(), service.Name), fullFeatureNames);
    }

    /// <summary>
    /// Retrieval without an entity frame (feast #1611): the entities are every distinct join key with a row in
    /// [<paramref name="start"/>, <paramref name="end"/>] in any requested view, each with <c>event_timestamp</c> =
    /// <paramref name="end"/>; each feature is the latest value within [max(start, end - ttl), end]. One row per
    /// entity (the latest, not all rows: that is the source itself). The requested views must share their join keys.
    /// Holds the distinct keys in memory.
    /// </summary>
    /// <param name="features"><c>view:feature</c> references.</param>
    /// <param name="start">The earliest event time considered.</param>
    /// <param name="end">The latest event time considered, and the entities' timestamp.</param>
    /// <param name="fullFeatureNames">Name columns <c>view__feature</c>.</param>
    public virtual Frame GetHistoricalFeatures(IReadOnlyList<string> features, DateTimeOffset start, DateTimeOffset end, bool fullFeatureNames = false)
    {
        if (end < start)
        {
            throw new ArgumentException($"The range ends ({end:O}) before it starts ({start:O}).", nameof(end));
        }

        var request = FeatureRequest.Resolve(Snapshot(), features, fullFeatureNames);
        var keys = request.JoinKeys(request.Views[0].View);
        foreach (var (view, _) in request.Views)
        {
            if (!request.JoinKeys(view).SequenceEqual(keys))
            {
                throw new FeatureReferenceException($"A time-range retrieval needs views with the same join keys: '{request.Views[0].View.Name}' has ({string.Join(", ", keys)}), '{view.Name}' has ({string.Join(", ", request.JoinKeys(view))}).");
            }
        }

        var entities = EntityFrames.DistinctKeys(request, keys, start, end, _session);
        var startMicros = Micros(start);
        var slices = request.Views.Select(v => SliceFor(request, v.View, v.Features, entities.Schema) with { MinEventMicros = startMicros }).ToList();
        return Finish(PointInTimeJoin.Create(entities, "event_timestamp", slices, Spill()), request, entities.Schema);
    }

    /// <summary>
    /// Loads the latest row per entity with <c>start &lt;= event_ts &lt; end</c> of every online feature view (or those
    /// named) into the online store (Feast's <c>materialize</c>), in bounded memory, and records the interval in the
    /// registry. The store keeps a newer row it already has.
    /// </summary>
    /// <param name="start">Inclusive start.</param>
    /// <param name="end">Exclusive end.</param>
    /// <param name="featureViews">The views, or null for every view with <see cref="FeatureView.Online"/> and a batch source.</param>
    /// <param name="progress">Progress per view and write.</param>
    /// <param name="cancellationToken">Cancels; rows already written stay, the interval is not recorded.</param>
    public virtual async Task<IReadOnlyList<MaterializationResult>> MaterializeAsync(DateTimeOffset start, DateTimeOffset end, IReadOnlyList<string>? featureViews = null, IProgress<MaterializationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (end <= start)
        {
            throw new ArgumentException($"The interval ends ({end:O}) at or before it starts ({start:O}).", nameof(end));
        }

        var snapshot = Snapshot();
        var results = new List<MaterializationResult>();
        foreach (var view in ViewsToMaterialize(snapshot, featureViews))
        {
            results.Add(await MaterializeViewAsync(snapshot, view, start, end, progress, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>
    /// Materializes each view from the end of its last recorded interval (or, the first time, from <c>now - ttl</c>,
    /// or the beginning of time for a TTL of zero) up to <paramref name="end"/> (Feast's <c>materialize_incremental</c>).
    /// </summary>
    /// <param name="end">Exclusive end.</param>
    /// <param name="featureViews">The views, or null for every online view with a batch source.</param>
    /// <param name="progress">Progress per view and write.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public virtual async Task<IReadOnlyList<MaterializationResult>> MaterializeIncrementalAsync(DateTimeOffset end, IReadOnlyList<string>? featureViews = null, IProgress<MaterializationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var snapshot = _registry.GetSnapshot(allowCache: false);
        var now = _time.GetUtcNow();
        var results = new List<MaterializationResult>();
        foreach (var view in ViewsToMaterialize(snapshot, featureViews))
        {
            var start = snapshot.Materializations.TryGetValue(view.Name, out var intervals) && intervals.Count > 0
                ? intervals.Max(i => i.End)
                : view.Ttl == TimeSpan.Zero ? DateTimeOffset.UnixEpoch : now - view.Ttl;
            if (start >= end)
            {
                _logger.LogInformation("Feature view {View} is materialized up to {Start:O}; nothing to do before {End:O}.", view.Name, start, end);
                continue;
            }

            results.Add(await MaterializeViewAsync(snapshot, view, start, end, progress, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>
    /// The latest online values for entity rows (Feast's <c>get_online_features</c>): one store read per feature view,
    /// on-demand views computed from the values read and the request's fields. Status per value: PRESENT,
    /// NULL_VALUE (stored null), NOT_FOUND, or OUTSIDE_MAX_AGE when the view's TTL is not zero and the row's event
    /// timestamp is older than now minus the TTL (the value is still returned).
    /// </summary>
    /// <param name="entities">Columns of entity rows: join key (and request field) name to one value per row.</param>
    /// <param name="features"><c>view:feature</c> references.</param>
    /// <param name="fullFeatureNames">Name features <c>view__feature</c>.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public virtual Task<OnlineFeaturesResponse> GetOnlineFeaturesAsync(IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, IReadOnlyList<string> features, bool fullFeatureNames = false, CancellationToken cancellationToken = default) =>
        OnlineRetrieval.ReadAsync(_online, Project, _time, entities, FeatureRequest.Resolve(Snapshot(), features, fullFeatureNames), null, cancellationToken);

    /// <summary>The online values of a feature service's features (see the overload with feature references).</summary>
    /// <param name="entities">Columns of entity rows.</param>
    /// <param name="service">The service, by its name in the registry.</param>
    /// <param name="fullFeatureNames">Name features <c>view__feature</c>.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public virtual Task<OnlineFeaturesResponse> GetOnlineFeaturesAsync(IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, FeatureService service, bool fullFeatureNames = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        var snapshot = Snapshot();
        return OnlineRetrieval.ReadAsync(_online, Project, _time, entities, FeatureRequest.Resolve(snapshot, FeatureRequest.FromService(snapshot, service.Name), fullFeatureNames), null, cancellationToken);
    }

    /// <summary>
    /// Pushes rows to every feature view over the push source (Feast's <c>push</c>): online (newer-wins), offline (a new
    /// Parquet part folder under the batch source's folder, published atomically), or both.
    /// </summary>
    /// <param name="pushSource">The push source's name.</param>
    /// <param name="rows">Rows with the source's columns (before its field mapping).</param>
    /// <param name="to">Where to write.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <exception cref="FeatureReferenceException">No view reads the push source, or an offline push has no Parquet batch source.</exception>
    public virtual async Task PushAsync(string pushSource, Frame rows, PushMode to = PushMode.Online, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pushSource);
        ArgumentNullException.ThrowIfNull(rows);
        var snapshot = Snapshot();
        var views = snapshot.FeatureViews.Values.Where(v => v.Source is PushSource p && p.Name == pushSource).ToList();
        if (views.Count == 0)
        {
            throw new FeatureReferenceException($"Project '{Project}' has no feature view over push source '{pushSource}'.");
        }

        if (to is PushMode.Offline or PushMode.OnlineAndOffline)
        {
            var batch = ((PushSource)views[0].Source).Batch;
            if (batch is not { Format: FileFormat.Parquet })
            {
                throw new FeatureReferenceException($"Push source '{pushSource}' has no Parquet batch source, so it cannot be pushed offline; push online only or give it one.");
            }

            var folder = batch.Path.TrimEnd('/') + "/push-" + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
            rows.WithSession(_session).WriteParquet(folder, null, cancellationToken);
        }

        if (to is PushMode.Online or PushMode.OnlineAndOffline)
        {
            foreach (var view in views)
            {
                await WriteRowsAsync(snapshot, view, SourceReader.Map(rows, view.Source), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes rows straight to a view's online rows (Feast's <c>write_to_online_store</c>), newer-wins per entity.</summary>
    /// <param name="featureView">The view.</param>
    /// <param name="rows">Rows with the view's join keys, timestamp column(s) and features (after the field mapping).</param>
    /// <param name="cancellationToken">Cancels.</param>
    public virtual Task<OnlineWriteResult> WriteToOnlineStoreAsync(string featureView, Frame rows, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(featureView);
        ArgumentNullException.ThrowIfNull(rows);
        var snapshot = Snapshot();
        var view = snapshot.FeatureViews.TryGetValue(featureView, out var v) ? v : throw new FeatureReferenceException($"Project '{Project}' has no feature view '{featureView}'.");
        return WriteRowsAsync(snapshot, view, rows, cancellationToken);
    }

    /// <summary>
    /// The consistency check: for the entity rows, compares the online values (read now, with values older than the
    /// TTL at <paramref name="at"/> counted as missing) with the point-in-time values at <paramref name="at"/>. After
    /// materializing up to <paramref name="at"/> (and nothing newer), the result is empty; each mismatch names the row
    /// and feature.
    /// </summary>
    /// <param name="entities">Columns of entity rows (join keys and request fields).</param>
    /// <param name="features"><c>view:feature</c> references.</param>
    /// <param name="at">The time T.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public virtual async Task<IReadOnlyList<ConsistencyMismatch>> VerifyOnlineConsistencyAsync(IReadOnlyDictionary<string, IReadOnlyList<object?>> entities, IReadOnlyList<string> features, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var request = FeatureRequest.Resolve(Snapshot(), features, fullFeatureNames: true);
        var online = await OnlineRetrieval.ReadAsync(_online, Project, _time, entities, request, at, cancellationToken).ConfigureAwait(false);
        var frame = EntityFrames.FromColumns(request, entities, at);
        var historical = GetHistoricalFeatures(frame, features, fullFeatureNames: true).Collect(cancellationToken);
        var mismatches = new List<ConsistencyMismatch>();
        foreach (var (reference, output) in request.Outputs)
        {
            var vector = online[output];
            for (var r = 0; r < historical.Count; r++)
            {
                var expected = historical[r][output];
                var actual = vector.Statuses[r] is FeatureStatus.NotFound or FeatureStatus.OutsideMaxAge ? null : vector.Values[r];
                if (!ValuesEqual(actual, expected))
                {
                    mismatches.Add(new ConsistencyMismatch(r, reference, actual, expected));
                }
            }
        }

        return mismatches;
    }

    private static bool ValuesEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (DateTimeOffset x, DateTime y) => x.UtcDateTime == DateTime.SpecifyKind(y, DateTimeKind.Utc),
        (double[] x, double[] y) => x.SequenceEqual(y),
        (IConvertible x, IConvertible y) when a is not string && b is not string && a is not bool && b is not bool =>
            Convert.ToDouble(x, System.Globalization.CultureInfo.InvariantCulture) == Convert.ToDouble(y, System.Globalization.CultureInfo.InvariantCulture),
        _ => a.Equals(b),
    };

    internal static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    private static string EntityTimestampColumn(Schema schema)
    {
        if (schema.GetFieldIndex("event_timestamp") is var index and >= 0)
        {
            return schema.FieldsList[index].DataType is TimestampType or Date32Type or Date64Type
                ? "event_timestamp"
                : throw new EntityDataException($"The entity frame's 'event_timestamp' is {schema.FieldsList[index].DataType.Name}, not a timestamp.");
        }

        var timestamps = schema.FieldsList.Where(f => f.DataType is TimestampType).ToList();
        return timestamps.Count == 1
            ? timestamps[0].Name
            : throw new EntityDataException($"The entity frame has no 'event_timestamp' column{(timestamps.Count > 1 ? $" and several timestamp columns ({string.Join(", ", timestamps.Select(t => t.Name))})" : string.Empty)}; add one (each entity row's point in time).");
    }

    private RegistrySnapshot Snapshot()
    {
        var snapshot = _registry.GetSnapshot();
        lock (_transforms)
        {
            if (_transforms.Count == 0 || snapshot.OnDemandFeatureViews.Values.All(o => o.Transform is not null || !_transforms.ContainsKey(o.Name)))
            {
                return snapshot;
            }

            var definitions = snapshot.Definitions.Select(d => d is OnDemandFeatureView { Transform: null } o && _transforms.TryGetValue(o.Name, out var code) ? o with { Transform = code.Transform } : d);
            return new RegistrySnapshot(snapshot.Project, snapshot.Version, definitions, snapshot.Materializations);
        }
    }

    private SpillSettings Spill() => new(_options.MemoryBudgetBytes, _options.SpillDirectory ?? Path.GetTempPath(), SpillObserver);

    private ViewSlice SliceFor(FeatureRequest request, FeatureView view, IReadOnlyList<string> features, Schema entities)
    {
        var keys = request.JoinKeys(view);
        foreach (var key in keys)
        {
            var index = entities.GetFieldIndex(key);
            if (index < 0)
            {
                throw new EntityDataException($"The entity frame has no join key column '{key}' of feature view '{view.Name}'; it has {string.Join(", ", entities.FieldsList.Select(f => f.Name))}.");
            }
        }

        var slice = SourceReader.Slice(view, keys, features, features.Select(f => request.ColumnOf(view.Name, f)).ToArray(), _session);
        foreach (var key in keys)
        {
            var entityType = entities.GetFieldByName(key).DataType;
            var sourceType = slice.Source.Schema.GetFieldByName(key).DataType;
            if (KeyArrays.KindOf(entityType) is not { } kind || kind != KeyArrays.KindOf(sourceType))
            {
                throw new EntityDataException($"Join key '{key}' of feature view '{view.Name}' is {entityType.Name} in the entity frame but {sourceType.Name} in source '{view.Source.Name}'.");
            }
        }

        foreach (var output in slice.OutputNames)
        {
            if (entities.GetFieldIndex(output) >= 0)
            {
                throw new FeatureNameCollisionException($"Feature '{view.Name}:{output}' would be named '{output}', a column the entity frame already has; rename that column or pass fullFeatureNames: true.");
            }
        }

        return slice;
    }

    private Frame Finish(Frame joined, FeatureRequest request, Schema entities)
    {
        foreach (var (odfv, outputs) in request.OnDemand)
        {
            foreach (var field in odfv.RequestSchema)
            {
                if (entities.GetFieldIndex(field.Name) < 0)
                {
                    throw new EntityDataException($"On-demand feature view '{odfv.Name}' needs request field '{field.Name}', which the entity frame does not have.");
                }
            }

            var names = outputs.Select(f => request.Outputs.First(o => o.Reference == odfv.Name + ":" + f).Output).ToArray();
            var fields = joined.Schema.FieldsList.Concat(outputs.Select((f, i) => OnlineRows.FieldOf(names[i], odfv.Schema.First(s => s.Name == f).Type))).ToList();
            var schema = new Schema(fields, null);
            var inputColumns = odfv.Inputs.Select(i => FeatureReference.Parse(i, odfv.Name)).Select(p => (Column: request.ColumnOf(p.View, p.Feature), p.Feature)).ToArray();
            var view = odfv;
            joined = joined.MapBatches(
                schema,
                batch =>
                {
                    var inputs = OnDemandInputs(view, inputColumns.Select(c => (c.Feature, batch.Column(batch.Schema.GetFieldIndex(c.Column)))), batch);
                    var output = FeatureRequest.RunTransform(view, inputs);
                    var columns = Enumerable.Range(0, batch.ColumnCount).Select(batch.Column).Concat(outputs.Select(f => output.Column(output.Schema.GetFieldIndex(f))));
                    return new RecordBatch(schema, columns, batch.Length);
                },
                preservesRowCount: true);
        }

        return joined.Select([.. entities.FieldsList.Select(f => f.Name), .. request.Outputs.Select(o => o.Output)]);
    }

    private static RecordBatch OnDemandInputs(OnDemandFeatureView view, IEnumerable<(string Name, IArrowArray Column)> features, RecordBatch request)
    {
        var columns = features.ToList();
        columns.AddRange(view.RequestSchema.Select(f => (f.Name, request.Column(request.Schema.GetFieldIndex(f.Name)))));
        var schema = new Schema(columns.Select(c => new Field(c.Name, c.Column.Data.DataType, true)), null);
        return new RecordBatch(schema, columns.Select(c => c.Column), request.Length);
    }

    private IEnumerable<FeatureView> ViewsToMaterialize(RegistrySnapshot snapshot, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return snapshot.FeatureViews.Values.Where(v => v.Online && v.Source.BatchSource is not null).OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        }

        return names.Select(n => snapshot.FeatureViews.TryGetValue(n, out var v)
            ? (v.Online ? v : throw new FeatureReferenceException($"Feature view '{n}' is not online (Online = false); it cannot be materialized."))
            : throw new FeatureReferenceException($"Project '{Project}' has no feature view '{n}'.")).ToList();
    }

    private async Task<MaterializationResult> MaterializeViewAsync(RegistrySnapshot snapshot, FeatureView view, DateTimeOffset start, DateTimeOffset end, IProgress<MaterializationProgress>? progress, CancellationToken ct)
    {
        var keys = FeatureDefinitions.JoinKeys(view, snapshot.Entities);
        var features = view.Schema.Select(f => f.Name).ToArray();
        var slice = SourceReader.Slice(view, keys, features, features, _session);
        _logger.LogInformation("Materializing feature view {View} over [{Start:O}, {End:O}).", view.Name, start, end);
        var result = await Materializer.RunAsync(slice, start, end, _online, Project, _options.OnlineWriteBatchSize, Spill(), progress, ct).ConfigureAwait(false);
        _registry.RecordMaterialization(view.Name, start, end);
        _logger.LogInformation("Materialized feature view {View}: {Read} rows in the interval, {Written} written, {Skipped} skipped as older.", view.Name, result.RowsRead, result.Written, result.SkippedOlder);
        return result;
    }

    private async Task<OnlineWriteResult> WriteRowsAsync(RegistrySnapshot snapshot, FeatureView view, Frame rows, CancellationToken ct)
    {
        var keys = FeatureDefinitions.JoinKeys(view, snapshot.Entities);
        var features = view.Schema.Select(f => f.Name).Where(f => rows.Schema.GetFieldIndex(f) >= 0).ToArray();
        foreach (var column in keys.Append(view.Source.TimestampField))
        {
            if (rows.Schema.GetFieldIndex(column) < 0)
            {
                throw new EntityDataException($"Rows for feature view '{view.Name}' have no column '{column}'; they have {string.Join(", ", rows.Columns)}.");
            }
        }

        long written = 0, skipped = 0;
        foreach (var batch in rows.ReadBatches(ct))
        {
            for (var offset = 0; offset < batch.Length; offset += _options.OnlineWriteBatchSize)
            {
                var positions = Enumerable.Range(offset, Math.Min(_options.OnlineWriteBatchSize, batch.Length - offset)).ToArray();
                var online = OnlineRows.FromBatch(batch, view, keys, features, positions);
                var result = await _online.WriteAsync(Project, view.Name, online, ct).ConfigureAwait(false);
                written += result.Written;
                skipped += result.SkippedOlder;
            }
        }

        return new OnlineWriteResult(written, skipped);
    }
}
