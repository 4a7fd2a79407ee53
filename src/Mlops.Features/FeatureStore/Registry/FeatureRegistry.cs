using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.FeatureStore.Registry;

/// <summary>
/// The catalog of a project's definitions and materialization intervals (Feast's registry). <see cref="Apply"/> is
/// additive unless <c>deleteMissing</c> is true: objects absent from the given set are kept (Feast SDK's
/// <c>apply(partial=True)</c>), and with <c>deleteMissing</c> they are deleted (the CLI's <c>feast apply</c>). Feast
/// users conflate the two (feast #1694); here the caller says which. Readers see a cached snapshot refreshed at most
/// once per <see cref="RefreshInterval"/> (against the injected <see cref="TimeProvider"/>); an apply in this process
/// refreshes it at once.
/// </summary>
/// <remarks>
/// Storage lives in the subclasses (<see cref="SqliteFeatureRegistry"/>, <see cref="BlobFeatureRegistry"/>): each
/// stores one JSON document per project and replaces it atomically. Thread-safe.
/// </remarks>
public abstract class FeatureRegistry : IDisposable
{
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private RegistrySnapshot? _cached;
    private long _cachedAt;

    /// <summary>Initializes a registry.</summary>
    /// <param name="project">The project (letters, digits, underscores).</param>
    /// <param name="refreshInterval">How long a snapshot is reused; zero reads the store on every call.</param>
    /// <param name="timeProvider">The clock of the refresh; the system clock if null.</param>
    protected FeatureRegistry(string project, TimeSpan refreshInterval, TimeProvider? timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(project);
        if (!project.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"Project '{project}' may hold only letters, digits and underscores.", nameof(project));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(refreshInterval, TimeSpan.Zero);
        Project = project;
        RefreshInterval = refreshInterval;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>For mocking.</summary>
    protected FeatureRegistry()
        : this("mock", TimeSpan.Zero, null)
    {
    }

    /// <summary>The project this registry holds.</summary>
    public string Project { get; }

    /// <summary>How long a snapshot is reused before the store is read again.</summary>
    public TimeSpan RefreshInterval { get; }

    /// <summary>The current definitions: the cached snapshot while younger than <see cref="RefreshInterval"/> (or when <paramref name="allowCache"/> is true), else read now.</summary>
    /// <param name="allowCache">False reads the store now.</param>
    public virtual RegistrySnapshot GetSnapshot(bool allowCache = true)
    {
        lock (_gate)
        {
            if (allowCache && _cached is not null && _time.GetElapsedTime(_cachedAt) < RefreshInterval)
            {
                return _cached;
            }

            var json = ReadDocument();
            var snapshot = json is null ? new RegistrySnapshot(Project, 0, []) : RegistrySnapshot.FromJson(json, Describe());
            Cache(KeepTransforms(snapshot));
            return _cached!;
        }
    }

    /// <summary>The diff <see cref="Apply"/> would make, without changing anything.</summary>
    /// <param name="definitions">The definitions to apply.</param>
    /// <param name="deleteMissing">Whether objects absent from <paramref name="definitions"/> would be deleted.</param>
    /// <exception cref="FeatureDefinitionException">The resulting set is invalid (the message names the object and field).</exception>
    public virtual RegistryPlan Plan(IEnumerable<IFeatureDefinition> definitions, bool deleteMissing = false)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        return Diff(GetSnapshot(allowCache: false), definitions.ToList(), deleteMissing).Plan;
    }

    /// <summary>
    /// Stores the definitions: new objects are created, changed ones replaced, and objects absent from the set are kept,
    /// or deleted when <paramref name="deleteMissing"/> is true. Validated as a whole first; nothing changes on error.
    /// A view whose source changes loses its materialization intervals (its next incremental run starts over).
    /// </summary>
    /// <param name="definitions">The definitions.</param>
    /// <param name="deleteMissing">Whether to delete objects absent from <paramref name="definitions"/>.</param>
    /// <returns>What changed.</returns>
    /// <exception cref="FeatureDefinitionException">The resulting set is invalid.</exception>
    public virtual RegistryPlan Apply(IEnumerable<IFeatureDefinition> definitions, bool deleteMissing = false)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var given = definitions.ToList();
        RegistryPlan? plan = null;
        RegistrySnapshot? result = null;
        UpdateDocument(current =>
        {
            var before = current is null ? new RegistrySnapshot(Project, 0, []) : RegistrySnapshot.FromJson(current, Describe());
            var (diff, after) = Diff(before, given, deleteMissing);
            plan = diff;
            var intervals = before.Materializations
                .Where(p => after.FeatureViews.TryGetValue(p.Key, out var view) && Equals(view.Source, before.FeatureViews[p.Key].Source))
                .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (!diff.HasChanges)
            {
                result = before;
                return null;
            }

            result = new RegistrySnapshot(Project, before.Version + 1, after.Definitions, intervals);
            return result.ToJson();
        });
        lock (_gate)
        {
            Cache(KeepTransforms(result!, given.OfType<OnDemandFeatureView>()));
        }

        return plan!;
    }

    /// <summary>Records that <paramref name="featureView"/> was materialized over [<paramref name="start"/>, <paramref name="end"/>).</summary>
    /// <exception cref="FeatureReferenceException">The registry has no such view.</exception>
    public virtual void RecordMaterialization(string featureView, DateTimeOffset start, DateTimeOffset end)
    {
        ArgumentException.ThrowIfNullOrEmpty(featureView);
        RegistrySnapshot? result = null;
        UpdateDocument(current =>
        {
            var before = current is null ? new RegistrySnapshot(Project, 0, []) : RegistrySnapshot.FromJson(current, Describe());
            if (!before.FeatureViews.ContainsKey(featureView))
            {
                throw new FeatureReferenceException($"Project '{Project}' has no feature view '{featureView}' to record a materialization for.");
            }

            var intervals = before.Materializations.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            intervals[featureView] = [.. intervals.GetValueOrDefault(featureView) ?? [], new MaterializationInterval(start, end)];
            result = new RegistrySnapshot(Project, before.Version + 1, before.Definitions, intervals);
            return result.ToJson();
        });
        lock (_gate)
        {
            Cache(KeepTransforms(result!));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the store.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Reads the project's document, or null when none has been written.</summary>
    protected abstract string? ReadDocument();

    /// <summary>
    /// Reads the project's document (null when none), gives it to <paramref name="change"/> and, unless it returns
    /// null, replaces the document with what it returns, atomically with respect to other writers.
    /// </summary>
    /// <param name="change">Computes the new document; exceptions it throws abort the update.</param>
    protected abstract void UpdateDocument(Func<string?, string?> change);

    /// <summary>Where the registry lives, for messages.</summary>
    protected abstract string Describe();

    private static (RegistryPlan Plan, RegistrySnapshot After) Diff(RegistrySnapshot before, List<IFeatureDefinition> given, bool deleteMissing)
    {
        var existing = before.Definitions.ToDictionary(d => (d.Kind, d.Name));
        var changes = new List<RegistryChange>();
        var after = new List<IFeatureDefinition>();
        var seen = new HashSet<(string, string)>();
        foreach (var definition in given)
        {
            ArgumentNullException.ThrowIfNull(definition, nameof(given));
            var key = (definition.Kind, definition.Name);
            if (!seen.Add(key))
            {
                throw new FeatureDefinitionException($"{definition.Kind} '{definition.Name}' is given twice.");
            }

            changes.Add(new RegistryChange(
                definition.Kind,
                definition.Name,
                !existing.TryGetValue(key, out var old) ? RegistryChangeType.Create : Equals(old, definition) ? RegistryChangeType.Unchanged : RegistryChangeType.Update));
            after.Add(definition);
        }

        foreach (var (key, definition) in existing)
        {
            if (!seen.Contains(key))
            {
                changes.Add(new RegistryChange(key.Kind, key.Name, deleteMissing ? RegistryChangeType.Delete : RegistryChangeType.Unchanged));
                if (!deleteMissing)
                {
                    after.Add(definition);
                }
            }
        }

        FeatureDefinitions.Validate(after);
        var ordered = changes.OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        return (new RegistryPlan(ordered), new RegistrySnapshot(before.Project, before.Version, after, before.Materializations));
    }

    // Transforms are code, not data: keep those this process applied when a snapshot is re-read.
    private RegistrySnapshot KeepTransforms(RegistrySnapshot snapshot, IEnumerable<OnDemandFeatureView>? applied = null)
    {
        var known = (_cached?.OnDemandFeatureViews.Values ?? []).Concat(applied ?? [])
            .Where(o => o.Transform is not null)
            .GroupBy(o => o.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        if (known.Count == 0)
        {
            return snapshot;
        }

        var definitions = snapshot.Definitions.Select(d => d is OnDemandFeatureView o && o.Transform is null && known.TryGetValue(o.Name, out var withCode) && withCode.Equals(o)
            ? o with { Transform = withCode.Transform }
            : d);
        return new RegistrySnapshot(snapshot.Project, snapshot.Version, definitions, snapshot.Materializations);
    }

    private void Cache(RegistrySnapshot snapshot)
    {
        _cached = snapshot;
        _cachedAt = _time.GetTimestamp();
    }
}
