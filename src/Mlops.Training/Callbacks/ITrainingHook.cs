namespace Mlops.Training.Callbacks;

/// <summary>
/// What an experiment tracker implements to follow training: the run's parameters when it starts, the loss and metrics
/// of each epoch, and the end. Pass it to <c>Fit</c> wrapped in <see cref="TrainingHookCallback"/>; it is called on the
/// chief only.
/// </summary>
public interface ITrainingHook
{
    /// <summary>Training starts.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="parameters">The run's parameters by name (optimizer, learning_rate, the optimizer's other
    /// settings as opt_*, loss, metrics, epochs, initial_epoch, steps_per_epoch, batch_size, num_replicas,
    /// parameter_count, input_width, element_type).</param>
    void OnTrainingStarted(Model model, IReadOnlyDictionary<string, string> parameters);

    /// <summary>An epoch ended.</summary>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="metrics">The epoch's loss and metrics (val_ ones with validation data), and the learning rate as "lr".</param>
    void OnEpochCompleted(int epoch, IReadOnlyDictionary<string, double> metrics);

    /// <summary>Training completed.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="finalMetrics">The last epoch's loss and metrics.</param>
    void OnTrainingCompleted(Model model, IReadOnlyDictionary<string, double> finalMetrics);
}
