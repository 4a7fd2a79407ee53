using System.Globalization;
using Mlops.Training.Callbacks;
using Mlops.Tracking;

namespace Mlops.Training.Tracking;

/// <summary>
/// Logs a training run to Mlops.Tracking the way MLflow's Keras autologging does: the training parameters when
/// training begins, the epoch's loss and metrics (validation ones with their <c>val_</c> prefix) at the end of every
/// epoch with the epoch as the step, and optionally the trained model when training ends. Only the chief logs; on
/// the other replicas the callback does nothing, so the same callback list can be given to every worker.
/// </summary>
public sealed class TrackingCallback : Callback
{
    private readonly Func<ActiveRun?> _run;

    private readonly TrackingCallbackOptions _options;

    /// <summary>Logs into a run the caller started (and ends).</summary>
    /// <param name="run">The run to log into; only the chief needs a real run, so a worker may pass null.</param>
    /// <param name="options">What to log; defaults when null.</param>
    public TrackingCallback(ActiveRun? run, TrackingCallbackOptions? options = null)
        : this(() => run, options)
    {
    }

    /// <summary>Logs into a run obtained when training begins, on the chief only (so workers never open a tracking store).</summary>
    /// <param name="run">Called once, on the chief, when training begins.</param>
    /// <param name="options">What to log; defaults when null.</param>
    public TrackingCallback(Func<ActiveRun?> run, TrackingCallbackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        _run = run;
        _options = options ?? new TrackingCallbackOptions();
    }

    /// <summary>The run logged to (null before training begins, and on workers other than the chief).</summary>
    public ActiveRun? Run { get; private set; }

    /// <summary>The model logged when training ended, or null.</summary>
    public LoggedModel? LoggedModel { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingLogs logs)
    {
        if (!Model.IsChief)
        {
            return;
        }

        Run = _run() ?? throw new InvalidOperationException("The tracking callback's run factory returned no run on the chief.");
        if (!_options.LogParameters)
        {
            return;
        }

        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["epochs"] = Parameters.Epochs,
            ["initial_epoch"] = Parameters.InitialEpoch,
            ["steps_per_epoch"] = Parameters.StepsPerEpoch?.ToString(CultureInfo.InvariantCulture) ?? "None",
            ["batch_size"] = Parameters.GlobalBatchSize,
            ["num_replicas"] = Parameters.NumReplicas,
            ["parameter_count"] = Model.ParameterCount,
            ["input_width"] = Model.InputWidth,
            ["element_type"] = Model.ElementType.ToString().ToLowerInvariant(),
            ["metrics"] = string.Join(",", Parameters.MetricNames),
        };
        if (Model.Optimizer is { } optimizer)
        {
            parameters["optimizer_name"] = optimizer.Name;
            parameters["learning_rate"] = optimizer.LearningRate;
            foreach (var (key, value) in optimizer.Config)
            {
                if (key != "learning_rate")
                {
                    parameters["opt_" + key] = value;
                }
            }
        }

        if (Model.Loss is { } loss)
        {
            parameters["loss"] = loss.Name;
        }

        Run.LogParams(parameters);
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (Run is null || !_options.LogMetrics)
        {
            return;
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in logs)
        {
            // MLflow stores doubles; a NaN would have stopped training already, an infinity is logged as is.
            metrics[name] = value;
        }

        if (Model.Optimizer is { } optimizer)
        {
            metrics["lr"] = optimizer.LearningRate;
        }

        Run.LogMetrics(metrics, step: epoch);
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingLogs logs)
    {
        if (Run is null || !_options.LogModel)
        {
            return;
        }

        LoggedModel = Run.LogModel(Model, _options.ArtifactPath, registeredModelName: _options.RegisteredModelName);
    }
}
