using System.Globalization;
using Mlops.Tracking;
using Mlops.Tracking.Search;
using Mlops.Tracking.Stores;

namespace Mlops.Testing.Tracking;

/// <summary>
/// A tracking store in memory with the SQLite store's semantics (MLflow's): validation and limits, param immutability,
/// atomic batches, latest-value metrics, the full search grammar with the same ordering and paging, lifecycle rules.
/// For consumers' unit tests: <c>new TrackingClient(new InMemoryTrackingStore(), new InMemoryModelRegistryStore())</c>.
/// </summary>
public sealed class InMemoryTrackingStore : ITrackingStore
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<long, ExperimentState> _experiments = [];
    private readonly Dictionary<string, RunState> _runs = new(StringComparer.Ordinal);
    private long _nextExperimentId = 1;

    /// <summary>Creates an empty store holding only the Default experiment ("0").</summary>
    /// <param name="defaultArtifactRoot">The artifact root of new experiments (a temp folder by default).</param>
    /// <param name="timeProvider">The clock for creation times.</param>
    public InMemoryTrackingStore(string? defaultArtifactRoot = null, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        DefaultArtifactRoot = (defaultArtifactRoot ?? Path.Combine(Path.GetTempPath(), "mlops-inmemory-mlruns")).TrimEnd('/');
        var now = Now();
        _experiments[0] = new ExperimentState { Id = 0, Name = "Default", ArtifactLocation = DefaultArtifactRoot + "/0", Created = now, Updated = now };
    }

    /// <inheritdoc/>
    public string DefaultArtifactRoot { get; }

    /// <summary>How many runs the store holds (all lifecycle stages).</summary>
    public int RunCount
    {
        get
        {
            lock (_lock)
            {
                return _runs.Count;
            }
        }
    }

    /// <inheritdoc/>
    public Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(name);
        foreach (var tag in tags ?? [])
        {
            TrackingValidation.ValidateTag(tag);
        }

        lock (_lock)
        {
            if (_experiments.Values.Any(e => e.Name == name))
            {
                throw new MlflowException(MlflowErrorCodes.ResourceAlreadyExists, $"Experiment(name={name}) already exists.");
            }

            var id = _nextExperimentId++;
            var now = Now();
            var state = new ExperimentState
            {
                Id = id,
                Name = name,
                ArtifactLocation = (artifactLocation ?? DefaultArtifactRoot + "/" + id.ToString(CultureInfo.InvariantCulture)).TrimEnd('/'),
                Created = now,
                Updated = now,
            };
            foreach (var tag in tags ?? [])
            {
                state.Tags[tag.Key] = tag.Value;
            }

            _experiments[id] = state;
            return Task.FromResult(id.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <inheritdoc/>
    public Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(RequireExperiment(experimentId).ToExperiment());
        }
    }

    /// <inheritdoc/>
    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_experiments.Values.FirstOrDefault(e => e.Name == name)?.ToExperiment());
        }
    }

    /// <inheritdoc/>
    public Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var offset = PageToken.Decode(pageToken);
        lock (_lock)
        {
            var experiments = _experiments.Values.Where(e => InView(e.Stage, viewType)).Select(e => e.ToExperiment()).ToList();
            return Task.FromResult(ExperimentPaging.Page(experiments, orderBy, maxResults, offset, filter));
        }
    }

    /// <inheritdoc/>
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var experiment = RequireExperiment(experimentId);
            if (experiment.Id == 0)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, "Cannot delete the default experiment '0'. This is an internally reserved experiment.");
            }

            experiment.Stage = LifecycleStage.Deleted;
            experiment.Updated = Now();
            foreach (var run in _runs.Values.Where(r => r.ExperimentId == experiment.Id))
            {
                run.Stage = LifecycleStage.Deleted;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var experiment = RequireExperiment(experimentId);
            if (experiment.Stage == LifecycleStage.Active)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"Cannot restore an active experiment. Experiment {experimentId} is active.");
            }

            experiment.Stage = LifecycleStage.Active;
            experiment.Updated = Now();
            foreach (var run in _runs.Values.Where(r => r.ExperimentId == experiment.Id))
            {
                run.Stage = LifecycleStage.Active;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(newName);
        lock (_lock)
        {
            var experiment = RequireExperiment(experimentId);
            if (experiment.Stage != LifecycleStage.Active)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, "Cannot rename a non-active experiment.");
            }

            if (_experiments.Values.Any(e => e.Name == newName && e.Id != experiment.Id))
            {
                throw new MlflowException(MlflowErrorCodes.ResourceAlreadyExists, $"Experiment(name={newName}) already exists.");
            }

            experiment.Name = newName;
            experiment.Updated = Now();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task SetExperimentTagAsync(string experimentId, RunTag tag, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateTag(tag);
        lock (_lock)
        {
            var experiment = RequireExperiment(experimentId);
            if (experiment.Stage != LifecycleStage.Active)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
            }

            experiment.Tags[tag.Key] = tag.Value;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<Run> CreateRunAsync(string experimentId, string? userId, long startTime, string? runName, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        var tagList = tags ?? [];
        foreach (var tag in tagList)
        {
            TrackingValidation.ValidateTag(tag);
        }

        lock (_lock)
        {
            var experiment = RequireExperiment(experimentId);
            if (experiment.Stage != LifecycleStage.Active)
            {
                throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
            }

            var name = runName ?? tagList.FirstOrDefault(t => t.Key == MlflowTags.RunName).Value ?? "run-" + (_runs.Count + 1).ToString(CultureInfo.InvariantCulture);
            var id = Guid.NewGuid().ToString("N");
            var run = new RunState
            {
                Id = id,
                ExperimentId = experiment.Id,
                Name = name,
                UserId = userId ?? "",
                StartTime = startTime,
                ArtifactUri = $"{experiment.ArtifactLocation}/{id}/artifacts",
            };
            foreach (var tag in tagList)
            {
                run.Tags[tag.Key] = tag.Value;
            }

            run.Tags[MlflowTags.RunName] = name;
            if (!string.IsNullOrEmpty(userId))
            {
                run.Tags.TryAdd(MlflowTags.User, userId);
            }

            _runs[id] = run;
            return Task.FromResult(run.ToRun());
        }
    }

    /// <inheritdoc/>
    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(RequireRun(runId).ToRun());
        }
    }

    /// <inheritdoc/>
    public Task<RunInfo> UpdateRunInfoAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var run = RequireActiveRun(runId);
            run.Status = status ?? run.Status;
            run.EndTime = endTime ?? run.EndTime;
            if (runName is not null)
            {
                run.Name = runName;
                run.Tags[MlflowTags.RunName] = runName;
            }

            return Task.FromResult(run.ToRun().Info);
        }
    }

    /// <inheritdoc/>
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => SetStage(runId, LifecycleStage.Deleted);

    /// <inheritdoc/>
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) => SetStage(runId, LifecycleStage.Active);

    /// <inheritdoc/>
    public Task LogBatchAsync(string runId, IReadOnlyList<Metric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        metrics ??= [];
        parameters ??= [];
        tags ??= [];
        TrackingValidation.ValidateBatch(metrics, parameters, tags);
        lock (_lock)
        {
            var run = RequireActiveRun(runId);

            // Check every param before writing anything: a batch is all or nothing, as in the SQLite store.
            foreach (var param in parameters)
            {
                if (run.Params.TryGetValue(param.Key, out var existing) && existing != param.Value)
                {
                    throw new MlflowException(MlflowErrorCodes.InvalidParameterValue,
                        $"Changing param values is not allowed. Param with key='{param.Key}' was already logged with value='{existing}' for run ID='{runId}'. Attempted logging new value '{param.Value}'.");
                }
            }

            foreach (var param in parameters)
            {
                run.Params[param.Key] = param.Value;
            }

            foreach (var metric in metrics)
            {
                if (!run.History.TryGetValue(metric.Key, out var history))
                {
                    run.History[metric.Key] = history = [];
                }

                // An identical value (same step, timestamp and value) logged again is stored once, as in the SQLite store and MLflow.
                var identity = (metric.Key, metric.Step, metric.Timestamp, double.IsNaN(metric.Value) ? long.MinValue : BitConverter.DoubleToInt64Bits(metric.Value + 0.0));
                if (!run.Seen.Add(identity))
                {
                    continue;
                }

                history.Add(metric);
                if (!run.Latest.TryGetValue(metric.Key, out var latest) || IsNewer(metric, latest))
                {
                    run.Latest[metric.Key] = metric;
                }
            }

            foreach (var tag in tags)
            {
                run.Tags[tag.Key] = tag.Value;
                if (tag.Key == MlflowTags.RunName)
                {
                    run.Name = tag.Value;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var run = RequireActiveRun(runId);
            if (!run.Tags.Remove(key))
            {
                throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"No tag with name: {key} in run with id {runId}");
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var run = RequireRun(runId);
            IReadOnlyList<Metric> history = run.History.TryGetValue(metricKey, out var list)
                ? list.Select((m, i) => (m, i)).OrderBy(x => x.m.Step).ThenBy(x => x.m.Timestamp).ThenBy(x => x.i).Select(x => x.m).ToList()
                : [];
            return Task.FromResult(history);
        }
    }

    /// <inheritdoc/>
    public Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var clauses = SearchFilterParser.Parse(filter);
        var keys = OrderByParser.Parse(orderBy);
        var offset = PageToken.Decode(pageToken);
        var ids = experimentIds.Select(ParseId).ToHashSet();
        List<Run> candidates;
        lock (_lock)
        {
            candidates = _runs.Values.Where(r => ids.Contains(r.ExperimentId) && InView(r.Stage, viewType)).Select(r => r.ToRun()).ToList();
        }

        var sorted = RunFilterEvaluator.Sort(candidates.Where(r => RunFilterEvaluator.Matches(r, clauses)), keys);
        var page = sorted.Skip(offset).Take(maxResults).ToList();
        var next = offset + page.Count < sorted.Count ? PageToken.Encode(offset + page.Count) : null;
        return Task.FromResult(new PagedList<Run>(page, next));
    }

    private static bool IsNewer(Metric candidate, Metric latest)
    {
        if (candidate.Step != latest.Step)
        {
            return candidate.Step > latest.Step;
        }

        if (candidate.Timestamp != latest.Timestamp)
        {
            return candidate.Timestamp > latest.Timestamp;
        }

        return !double.IsNaN(candidate.Value) && (double.IsNaN(latest.Value) || candidate.Value > latest.Value);
    }

    private static bool InView(LifecycleStage stage, ViewType viewType) => viewType switch
    {
        ViewType.ActiveOnly => stage == LifecycleStage.Active,
        ViewType.DeletedOnly => stage == LifecycleStage.Deleted,
        _ => true,
    };

    private static long ParseId(string experimentId) =>
        long.TryParse(experimentId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"Invalid experiment id '{experimentId}'. Experiment ids are integers.");

    private Task SetStage(string runId, LifecycleStage stage)
    {
        lock (_lock)
        {
            RequireRun(runId).Stage = stage;
        }

        return Task.CompletedTask;
    }

    private ExperimentState RequireExperiment(string experimentId) =>
        _experiments.TryGetValue(ParseId(experimentId), out var experiment)
            ? experiment
            : throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"No Experiment with id={experimentId} exists");

    private RunState RequireRun(string runId)
    {
        TrackingValidation.ValidateRunId(runId);
        return _runs.TryGetValue(runId, out var run) ? run : throw new MlflowException(MlflowErrorCodes.ResourceDoesNotExist, $"Run with id={runId} not found");
    }

    private RunState RequireActiveRun(string runId)
    {
        var run = RequireRun(runId);
        return run.Stage == LifecycleStage.Active
            ? run
            : throw new MlflowException(MlflowErrorCodes.InvalidParameterValue, $"The run {runId} must be in the 'active' state. Current state is deleted.");
    }

    private long Now() => _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class ExperimentState
    {
        public long Id { get; init; }
        public string Name { get; set; } = "";
        public string ArtifactLocation { get; init; } = "";
        public LifecycleStage Stage { get; set; }
        public long Created { get; init; }
        public long Updated { get; set; }
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

        public Experiment ToExperiment() => new(Id.ToString(CultureInfo.InvariantCulture), Name, ArtifactLocation, Stage, Created, Updated,
            new Dictionary<string, string>(Tags, StringComparer.Ordinal));
    }

    private sealed class RunState
    {
        public string Id { get; init; } = "";
        public long ExperimentId { get; init; }
        public string Name { get; set; } = "";
        public string UserId { get; init; } = "";
        public RunStatus Status { get; set; } = RunStatus.Running;
        public long StartTime { get; init; }
        public long? EndTime { get; set; }
        public string ArtifactUri { get; init; } = "";
        public LifecycleStage Stage { get; set; }
        public Dictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Metric> Latest { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, List<Metric>> History { get; } = new(StringComparer.Ordinal);

        public HashSet<(string Key, long Step, long Timestamp, long Bits)> Seen { get; } = [];

        public Run ToRun() => new(
            new RunInfo(Id, ExperimentId.ToString(CultureInfo.InvariantCulture), Name, UserId, Status, StartTime, EndTime, ArtifactUri, Stage),
            new RunData(
                Latest.Values.OrderBy(m => m.Key, StringComparer.Ordinal).ToList(),
                new Dictionary<string, string>(Params, StringComparer.Ordinal),
                new Dictionary<string, string>(Tags, StringComparer.Ordinal)));
    }
}
