using System.Globalization;

namespace Mlops.Training.Callbacks;

/// <summary>Calls an <see cref="ITrainingHook"/> from <c>Fit</c>, on the chief only (other replicas pass through).</summary>
public sealed class TrainingHookCallback : Callback
{
    private readonly ITrainingHook _hook;

    /// <summary>Creates the callback.</summary>
    /// <param name="hook">The hook to call.</param>
    public TrainingHookCallback(ITrainingHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hook = hook;
    }

    /// <summary>The parameters of a run as the hook receives them.</summary>
    /// <param name="model">The model (its optimizer, loss and size).</param>
    /// <param name="parameters">The <c>Fit</c> call's parameters.</param>
    /// <returns>Parameters by name, values formatted invariantly.</returns>
    public static IReadOnlyDictionary<string, string> Describe(Model model, TrainingParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["epochs"] = Text(parameters.Epochs),
            ["initial_epoch"] = Text(parameters.InitialEpoch),
            ["steps_per_epoch"] = parameters.StepsPerEpoch is { } steps ? Text(steps) : "None",
            ["batch_size"] = Text(parameters.GlobalBatchSize),
            ["num_replicas"] = Text(parameters.NumReplicas),
            ["parameter_count"] = Text(model.ParameterCount),
            ["input_width"] = Text(model.InputWidth),
            ["element_type"] = model.ElementType.ToString().ToLowerInvariant(),
            ["metrics"] = string.Join(",", parameters.MetricNames.Skip(1)),
        };
        if (model.Optimizer is { } optimizer)
        {
            values["optimizer"] = optimizer.Name;
            foreach (var (key, value) in optimizer.Config)
            {
                values[key == "learning_rate" ? key : "opt_" + key] = Text(value);
            }
        }

        if (model.Loss is { } loss)
        {
            values["loss"] = loss.Name;
        }

        return values;
    }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingLogs logs)
    {
        if (Model.IsChief)
        {
            _hook.OnTrainingStarted(Model, Describe(Model, Parameters));
        }
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (Model.IsChief)
        {
            var metrics = logs.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
            if (Model.Optimizer is { } optimizer)
            {
                metrics["lr"] = optimizer.LearningRate;
            }

            _hook.OnEpochCompleted(epoch, metrics);
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingLogs logs)
    {
        if (Model.IsChief)
        {
            _hook.OnTrainingCompleted(Model, logs.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal));
        }
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
