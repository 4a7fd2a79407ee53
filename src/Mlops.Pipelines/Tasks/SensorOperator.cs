namespace Mlops.Pipelines;

/// <summary>How a sensor pokes.</summary>
public sealed class SensorOptions
{
    /// <summary>The wait between pokes; 60 seconds by default, as in Airflow.</summary>
    public TimeSpan PokeInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long after its first poke the sensor gives up; 7 days by default, as in Airflow. A timed-out sensor fails without retry (or is skipped with <see cref="SoftFail"/>).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Skip instead of failing when the sensor times out.</summary>
    public bool SoftFail { get; set; }

    /// <summary>Doubles the wait after each unsuccessful poke, up to <see cref="MaxPokeInterval"/>.</summary>
    public bool ExponentialBackoff { get; set; }

    /// <summary>The longest wait between pokes with <see cref="ExponentialBackoff"/>; 1 hour by default.</summary>
    public TimeSpan MaxPokeInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Waits for a condition (Airflow's sensor in "reschedule" mode): each poke is a short execution; while the condition
/// is false the task is up_for_reschedule and holds no slot, and the wait survives a restart of the process.
/// </summary>
public class SensorOperator : TaskOperator
{
    private readonly Func<TaskContext, Task<bool>> _poke;

    /// <summary>Creates a sensor.</summary>
    /// <param name="poke">Checks the condition.</param>
    /// <param name="options">Poke interval, timeout and soft-fail.</param>
    public SensorOperator(Func<TaskContext, Task<bool>> poke, SensorOptions options)
    {
        ArgumentNullException.ThrowIfNull(poke);
        ArgumentNullException.ThrowIfNull(options);
        if (options.PokeInterval <= TimeSpan.Zero || options.Timeout <= TimeSpan.Zero || options.MaxPokeInterval < options.PokeInterval)
        {
            throw new ArgumentException(
                $"Sensor options need a positive PokeInterval ({options.PokeInterval}) and Timeout ({options.Timeout}), and MaxPokeInterval ({options.MaxPokeInterval}) of at least PokeInterval.",
                nameof(options));
        }

        _poke = poke;
        Options = options;
    }

    /// <summary>How the sensor pokes.</summary>
    public SensorOptions Options { get; }

    /// <inheritdoc/>
    public override string Kind => "sensor";

    /// <inheritdoc/>
    public override async Task<object?> ExecuteAsync(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (await _poke(context).ConfigureAwait(false))
        {
            context.Logger.LogSensorMet(context.PokeNumber);
            return null;
        }

        var now = context.TimeProvider.GetUtcNow();
        var firstPoke = context.FirstStartDate ?? now;
        if (now - firstPoke >= Options.Timeout)
        {
            var message = $"Sensor timed out after {now - firstPoke} (timeout {Options.Timeout}, {context.PokeNumber} pokes).";
            if (Options.SoftFail)
            {
                throw new TaskSkipException(message);
            }

            throw new TaskFailException(message);
        }

        var wait = Options.PokeInterval;
        if (Options.ExponentialBackoff)
        {
            var factor = Math.Pow(2, Math.Min(context.PokeNumber - 1, 30));
            wait = TimeSpan.FromTicks((long)Math.Min(Options.MaxPokeInterval.Ticks, Options.PokeInterval.Ticks * factor));
        }

        // Never wait past the timeout: the last poke happens at the deadline.
        var deadline = firstPoke + Options.Timeout;
        var next = now + wait < deadline ? now + wait : deadline;
        context.Logger.LogSensorNotMet(context.PokeNumber, next);
        throw new TaskRescheduleException(next);
    }
}
