namespace Mlops.Features.FeatureStore.Online;

/// <summary>
/// The newer-wins rule every online store applies, in one place: the order of two versions of a row is
/// (event timestamp, created timestamp), a missing created timestamp before any present one, and on a full tie the
/// later write wins. Stores compare <see cref="EventOrder"/> and <see cref="CreatedOrder"/>; a batch is first reduced
/// to its newest row per entity key, so the outcome does not depend on the order of rows within it.
/// </summary>
internal static class OnlineWriteBatch
{
    /// <summary>The event timestamp as the integer stores compare and keep: UTC ticks (100 ns, finer than Feast's µs).</summary>
    public static long EventOrder(OnlineRow row) => row.EventTimestamp.UtcTicks;

    /// <summary>The created timestamp as a non-negative integer: 0 when absent, else UTC ticks + 1.</summary>
    public static long CreatedOrder(OnlineRow row) => row.CreatedTimestamp is { } created ? created.UtcTicks + 1 : 0;

    /// <summary>The event timestamp a store returns for <paramref name="eventOrder"/> (UTC).</summary>
    public static DateTimeOffset EventTimestamp(long eventOrder) => new(eventOrder, TimeSpan.Zero);

    /// <summary>Whether a row ordered (<paramref name="eventOrder"/>, <paramref name="createdOrder"/>) replaces a stored one.</summary>
    public static bool Replaces(long eventOrder, long createdOrder, long storedEventOrder, long storedCreatedOrder) =>
        eventOrder > storedEventOrder || (eventOrder == storedEventOrder && createdOrder >= storedCreatedOrder);

    /// <summary>Checks the arguments every store's write takes.</summary>
    /// <exception cref="ArgumentException">An empty project or view name.</exception>
    public static void ValidateTarget(string project, string featureView)
    {
        ArgumentException.ThrowIfNullOrEmpty(project);
        ArgumentException.ThrowIfNullOrEmpty(featureView);
    }

    /// <summary>
    /// Validates <paramref name="rows"/> and returns the newest row per entity key, in the order the keys first appear.
    /// </summary>
    /// <exception cref="ArgumentException">A null row, key or values, or a value of an unsupported type; the message names the row, the view and the feature.</exception>
    public static IReadOnlyList<OnlineRow> NewestPerKey(string featureView, IReadOnlyList<OnlineRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        for (var i = 0; i < rows.Count; i++)
        {
            Validate(featureView, rows[i], i);
        }

        if (rows.Count <= 1)
        {
            return rows;
        }

        var positions = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        var newest = new List<OnlineRow>(rows.Count);
        foreach (var row in rows)
        {
            if (!positions.TryGetValue(row.Key.Canonical, out var at))
            {
                positions.Add(row.Key.Canonical, newest.Count);
                newest.Add(row);
            }
            else if (Replaces(EventOrder(row), CreatedOrder(row), EventOrder(newest[at]), CreatedOrder(newest[at])))
            {
                newest[at] = row;
            }
        }

        return newest;
    }

    private static void Validate(string featureView, OnlineRow? row, int index)
    {
        if (row is null)
        {
            throw new ArgumentException($"Row {index} written to feature view '{featureView}' is null.", "rows");
        }

        if (row.Key is null)
        {
            throw new ArgumentException($"Row {index} written to feature view '{featureView}' has no entity key.", "rows");
        }

        if (row.Values is null)
        {
            throw new ArgumentException($"Row {index} ({row.Key}) written to feature view '{featureView}' has no values.", "rows");
        }

        foreach (var (name, value) in row.Values)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"Row {index} ({row.Key}) written to feature view '{featureView}' has a feature with an empty name.", "rows");
            }

            if (!OnlineValueCodec.IsSupported(value))
            {
                throw new ArgumentException(
                    $"Feature '{name}' of row {index} ({row.Key}) written to feature view '{featureView}' has a value of type {value!.GetType().Name}; online stores keep long, int, double, float, bool, string, byte[], float[], double[], long[] or null.",
                    "rows");
            }
        }
    }
}
