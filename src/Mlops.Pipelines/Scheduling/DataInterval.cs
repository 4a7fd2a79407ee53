namespace Mlops.Pipelines;

/// <summary>The period of data a DAG run processes; a scheduled run's logical date is the interval's start, and the run is created once the interval has ended, as in Airflow.</summary>
/// <param name="Start">Inclusive start (the logical date of a scheduled run).</param>
/// <param name="End">Exclusive end; the run becomes due at this instant.</param>
public readonly record struct DataInterval(DateTimeOffset Start, DateTimeOffset End)
{
    /// <inheritdoc/>
    public override string ToString() => $"[{Start:O}, {End:O})";
}
