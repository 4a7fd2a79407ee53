namespace Mlops.Training.Callbacks;

/// <summary>
/// Hooks into <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c>, as Keras' <c>keras.callbacks.Callback</c>. Every replica
/// runs the callbacks with the same (replica-reduced) logs, so a decision such as early stopping is the same on all of
/// them; callbacks that write (checkpoints, progress) do so on the chief only. Override what you need; epochs and
/// batches are 0-based.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained (set before <see cref="OnTrainBegin"/>).</summary>
    public Model Model { get; internal set; } = null!;

    /// <summary>What the current <c>Fit</c> call was asked to do (set before <see cref="OnTrainBegin"/>).</summary>
    public TrainingParameters Parameters { get; internal set; } = null!;

    /// <summary>Where the running <c>Fit</c> is (epoch, step, next batch); null outside <c>Fit</c>.</summary>
    internal FitState? FitState { get; set; }

    /// <summary>Called once before the first epoch.</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTrainBegin(TrainingLogs logs)
    {
    }

    /// <summary>Called once after the last epoch (also after early stopping).</summary>
    /// <param name="logs">The last epoch's logs.</param>
    public virtual void OnTrainEnd(TrainingLogs logs)
    {
    }

    /// <summary>Called at the start of each epoch.</summary>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnEpochBegin(int epoch, TrainingLogs logs)
    {
    }

    /// <summary>Called at the end of each epoch, after validation.</summary>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="logs">The epoch's loss and metrics, with <c>val_</c> entries when there is validation data.</param>
    public virtual void OnEpochEnd(int epoch, TrainingLogs logs)
    {
    }

    /// <summary>Called before each training step.</summary>
    /// <param name="batch">The step's 0-based index within the epoch.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnTrainBatchBegin(long batch, TrainingLogs logs)
    {
    }

    /// <summary>Called after each training step.</summary>
    /// <param name="batch">The step's 0-based index within the epoch.</param>
    /// <param name="logs">The epoch's running loss and metrics so far (read from the device only if accessed).</param>
    public virtual void OnTrainBatchEnd(long batch, TrainingLogs logs)
    {
    }

    /// <summary>Called before evaluation (in <c>Evaluate</c>, or validation at the end of an epoch).</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTestBegin(TrainingLogs logs)
    {
    }

    /// <summary>Called after evaluation.</summary>
    /// <param name="logs">The evaluation's loss and metrics (without the <c>val_</c> prefix).</param>
    public virtual void OnTestEnd(TrainingLogs logs)
    {
    }

    /// <summary>Called after each evaluation step.</summary>
    /// <param name="batch">The 0-based step.</param>
    /// <param name="logs">The evaluation's running loss and metrics so far (lazy).</param>
    public virtual void OnTestBatchEnd(long batch, TrainingLogs logs)
    {
    }
}
