namespace Mlops.Training.Callbacks;

/// <summary>
/// Sets the learning rate at the start of every epoch from a schedule (Keras' <c>LearningRateScheduler</c>):
/// <c>schedule(epoch, currentRate)</c> returns the rate for the epoch (0-based). The schedule runs on every replica
/// with the same inputs, so all use the same rate.
/// </summary>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, double, double> _schedule;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule">Maps (epoch, current learning rate) to the epoch's learning rate.</param>
    public LearningRateScheduler(Func<int, double, double> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
    }

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, TrainingLogs logs)
    {
        var optimizer = Model.Optimizer ?? throw new InvalidOperationException("The model has no optimizer; compile it first.");
        var rate = _schedule(epoch, optimizer.LearningRate);
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            throw new InvalidOperationException($"The learning-rate schedule returned {rate} for epoch {epoch}; a learning rate is a finite number >= 0.");
        }

        optimizer.LearningRate = rate;
    }
}
