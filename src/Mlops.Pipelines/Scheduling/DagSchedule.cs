using Cronos;

namespace Mlops.Pipelines;

/// <summary>
/// When a DAG's runs are due: a fixed interval (<see cref="TimeSpan"/>), a cron expression, an Airflow preset
/// (<c>@hourly</c>, <c>@daily</c>, <c>@weekly</c>, <c>@monthly</c>, <c>@yearly</c>) or <c>@once</c>. A TimeSpan
/// or a string converts implicitly: <c>schedule: TimeSpan.FromDays(1)</c>, <c>schedule: "0 6 * * 1-5"</c>.
/// </summary>
public abstract class DagSchedule
{
    private protected DagSchedule()
    {
    }

    /// <summary>A human-readable form of the schedule.</summary>
    public abstract string Description { get; }

    /// <summary>A schedule every <paramref name="interval"/>, with intervals aligned on the DAG's start date.</summary>
    /// <param name="interval">A positive interval.</param>
    /// <returns>The schedule.</returns>
    public static DagSchedule Every(TimeSpan interval) => new IntervalSchedule(interval);

    /// <summary>A schedule on a cron expression (5 fields, or 6 with seconds first) or an Airflow preset, in a time zone.</summary>
    /// <param name="expression">The cron expression or preset.</param>
    /// <param name="timeZone">The time zone the expression is read in; UTC when null.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="ArgumentException">The expression is not valid cron.</exception>
    public static DagSchedule Cron(string expression, TimeZoneInfo? timeZone = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        return expression.Trim() == "@once" ? new OnceSchedule() : new CronSchedule(expression.Trim(), timeZone ?? TimeZoneInfo.Utc);
    }

    /// <summary>Converts an interval to an <see cref="Every"/> schedule.</summary>
    public static implicit operator DagSchedule(TimeSpan interval) => Every(interval);

    /// <summary>Converts a cron expression or preset to a <see cref="Cron"/> schedule.</summary>
    public static implicit operator DagSchedule(string expression) => Cron(expression);

    /// <summary>
    /// The first data interval that starts at or after <paramref name="earliestStart"/> (aligned on the schedule and
    /// the start date), or null when the schedule has no more.
    /// </summary>
    /// <param name="startDate">The DAG's start date.</param>
    /// <param name="earliestStart">The earliest start (the end of the last interval that was run); null for the first interval.</param>
    /// <returns>The interval, or null.</returns>
    public abstract DataInterval? NextInterval(DateTimeOffset startDate, DateTimeOffset? earliestStart);

    /// <summary>The latest data interval that has ended at or before <paramref name="now"/>, or null when none has.</summary>
    /// <param name="startDate">The DAG's start date.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The interval, or null.</returns>
    public abstract DataInterval? LatestCompleteInterval(DateTimeOffset startDate, DateTimeOffset now);

    /// <inheritdoc/>
    public override string ToString() => Description;
}

/// <summary>Intervals of a fixed length, the first starting at the DAG's start date (Airflow's delta timetable).</summary>
internal sealed class IntervalSchedule : DagSchedule
{
    private readonly TimeSpan _interval;

    public IntervalSchedule(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "A schedule interval must be positive.");
        }

        _interval = interval;
    }

    public override string Description => $"every {_interval}";

    public override DataInterval? NextInterval(DateTimeOffset startDate, DateTimeOffset? earliestStart)
    {
        var k = earliestStart is { } after && after > startDate ? CeilDiv((after - startDate).Ticks, _interval.Ticks) : 0;
        var start = startDate + TimeSpan.FromTicks(k * _interval.Ticks);
        return new DataInterval(start, start + _interval);
    }

    public override DataInterval? LatestCompleteInterval(DateTimeOffset startDate, DateTimeOffset now)
    {
        if (now < startDate + _interval)
        {
            return null;
        }

        var k = ((now - startDate).Ticks / _interval.Ticks) - 1;
        var start = startDate + TimeSpan.FromTicks(k * _interval.Ticks);
        return new DataInterval(start, start + _interval);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}

/// <summary>Intervals between consecutive cron occurrences (Airflow's cron data-interval timetable).</summary>
internal sealed class CronSchedule : DagSchedule
{
    private static readonly Dictionary<string, string> Presets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@hourly"] = "0 * * * *",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *",
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
    };

    private readonly CronExpression _cron;
    private readonly TimeZoneInfo _zone;
    private readonly string _text;

    public CronSchedule(string expression, TimeZoneInfo zone)
    {
        _text = expression;
        _zone = zone;
        var cron = Presets.GetValueOrDefault(expression, expression);
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            _cron = CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new ArgumentException($"'{expression}' is not a valid cron expression or preset: {e.Message}", nameof(expression), e);
        }
    }

    public override string Description => _zone == TimeZoneInfo.Utc ? _text : $"{_text} ({_zone.Id})";

    public override DataInterval? NextInterval(DateTimeOffset startDate, DateTimeOffset? earliestStart)
    {
        var from = earliestStart is { } after && after > startDate ? after : startDate;
        if (_cron.GetNextOccurrence(from, _zone, inclusive: true) is not { } start
            || _cron.GetNextOccurrence(start, _zone, inclusive: false) is not { } end)
        {
            return null;
        }

        return new DataInterval(start, end);
    }

    public override DataInterval? LatestCompleteInterval(DateTimeOffset startDate, DateTimeOffset now)
    {
        // Cronos has no "previous occurrence": look back over a window that doubles until it holds two occurrences.
        var first = _cron.GetNextOccurrence(startDate, _zone, inclusive: true);
        if (first is null || first.Value >= now)
        {
            return null;
        }

        for (var window = TimeSpan.FromHours(1); ; window *= 2)
        {
            var from = now - window < first.Value ? first.Value : now - window;
            DateTimeOffset? previous = null, last = null;
            foreach (var occurrence in _cron.GetOccurrences(from, now, _zone, fromInclusive: true, toInclusive: true))
            {
                previous = last;
                last = occurrence;
            }

            if (previous is not null && last is not null)
            {
                return new DataInterval(previous.Value, last.Value);
            }

            if (from == first.Value)
            {
                return null;
            }
        }
    }
}

/// <summary>One run only, for the interval starting and ending at the start date (Airflow's <c>@once</c>).</summary>
internal sealed class OnceSchedule : DagSchedule
{
    public override string Description => "@once";

    public override DataInterval? NextInterval(DateTimeOffset startDate, DateTimeOffset? earliestStart) =>
        earliestStart is null ? new DataInterval(startDate, startDate) : null;

    public override DataInterval? LatestCompleteInterval(DateTimeOffset startDate, DateTimeOffset now) =>
        now >= startDate ? new DataInterval(startDate, startDate) : null;
}
