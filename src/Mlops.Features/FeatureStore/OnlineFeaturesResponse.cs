namespace Mlops.Features.FeatureStore;

/// <summary>The status of one online value (Feast's <c>FieldStatus</c>).</summary>
public enum FeatureStatus
{
    /// <summary>Not set (Feast's INVALID).</summary>
    Invalid = 0,

    /// <summary>A value is stored and within the view's TTL.</summary>
    Present = 1,

    /// <summary>A row is stored but the value is null.</summary>
    NullValue = 2,

    /// <summary>No row is stored for the entity (or the feature was never written).</summary>
    NotFound = 3,

    /// <summary>The stored row is older than the view's TTL at read time; the value is still returned.</summary>
    OutsideMaxAge = 4,
}

/// <summary>One feature's values for every entity row, column-oriented like Feast's <c>FeatureVector</c>.</summary>
/// <param name="Values">Per entity row, the value or null.</param>
/// <param name="Statuses">Per entity row, the status.</param>
/// <param name="EventTimestamps">Per entity row, the stored row's event timestamp, or null (entity keys, on-demand features, not found).</param>
public sealed record OnlineFeatureVector(IReadOnlyList<object?> Values, IReadOnlyList<FeatureStatus> Statuses, IReadOnlyList<DateTimeOffset?> EventTimestamps);

/// <summary>
/// The answer of <c>GetOnlineFeaturesAsync</c>, shaped like Feast's server response: <see cref="FeatureNames"/> (the
/// entity join keys first, then the features in request order) and one <see cref="OnlineFeatureVector"/> per name.
/// </summary>
/// <param name="FeatureNames">Column names.</param>
/// <param name="Results">One vector per name, in the same order.</param>
public sealed record OnlineFeaturesResponse(IReadOnlyList<string> FeatureNames, IReadOnlyList<OnlineFeatureVector> Results)
{
    /// <summary>How many entity rows were asked for.</summary>
    public int RowCount => Results.Count == 0 ? 0 : Results[0].Values.Count;

    /// <summary>The vector of one column.</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public OnlineFeatureVector this[string name]
    {
        get
        {
            var index = FeatureNames.ToList().IndexOf(name);
            return index >= 0 ? Results[index] : throw new KeyNotFoundException($"The response has no column '{name}'; it has {string.Join(", ", FeatureNames)}.");
        }
    }

    /// <summary>Row-oriented view: one dictionary of column name to value per entity row.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> ToRows() =>
        Enumerable.Range(0, RowCount)
            .Select(r => (IReadOnlyDictionary<string, object?>)FeatureNames.Select((n, i) => (n, Results[i].Values[r])).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal))
            .ToArray();
}

/// <summary>Where a push goes (Feast's <c>PushMode</c>).</summary>
public enum PushMode
{
    /// <summary>The online store only.</summary>
    Online,

    /// <summary>The offline (batch) source only.</summary>
    Offline,

    /// <summary>Both.</summary>
    OnlineAndOffline,
}

/// <summary>Progress of a materialization, reported per feature view.</summary>
/// <param name="FeatureView">The view.</param>
/// <param name="Start">The interval's start (inclusive).</param>
/// <param name="End">The interval's end (exclusive).</param>
/// <param name="RowsWritten">Rows stored online so far.</param>
/// <param name="Completed">Whether the view is done.</param>
public sealed record MaterializationProgress(string FeatureView, DateTimeOffset Start, DateTimeOffset End, long RowsWritten, bool Completed);

/// <summary>What one view's materialization did.</summary>
/// <param name="FeatureView">The view.</param>
/// <param name="Start">The interval's start (inclusive).</param>
/// <param name="End">The interval's end (exclusive).</param>
/// <param name="RowsRead">Source rows in the interval.</param>
/// <param name="Written">Rows the online store stored.</param>
/// <param name="SkippedOlder">Rows the online store skipped because it held newer ones.</param>
public sealed record MaterializationResult(string FeatureView, DateTimeOffset Start, DateTimeOffset End, long RowsRead, long Written, long SkippedOlder);

/// <summary>An online value that differs from the point-in-time value at the checked time.</summary>
/// <param name="EntityRow">The entity row's position in the request.</param>
/// <param name="Feature">The feature (<c>view:feature</c>).</param>
/// <param name="Online">The online value (null when not found or older than the TTL at the checked time).</param>
/// <param name="Historical">The point-in-time value.</param>
public sealed record ConsistencyMismatch(int EntityRow, string Feature, object? Online, object? Historical);
