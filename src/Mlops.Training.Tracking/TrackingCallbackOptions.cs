namespace Mlops.Training.Tracking;

/// <summary>The run <see cref="TrackingCallback"/> starts on the chief and what it logs into it.</summary>
public sealed class TrackingCallbackOptions
{
    /// <summary>The experiment the run goes into, created if missing; null: MLflow's Default experiment.</summary>
    public string? ExperimentName { get; init; }

    /// <summary>The run's name; null: the store picks one.</summary>
    public string? RunName { get; init; }

    /// <summary>Tags set on the run when it starts.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>Parameters of the application's own (data, seeds) logged with the training parameters when training begins.</summary>
    public IReadOnlyDictionary<string, object?>? Parameters { get; init; }

    /// <summary>Log the training parameters (optimizer and its settings, loss, epochs, batch size, replicas) when training begins. Default true.</summary>
    public bool LogParameters { get; init; } = true;

    /// <summary>Log the loss and metrics of every epoch. Default true.</summary>
    public bool LogMetrics { get; init; } = true;

    /// <summary>
    /// Log the trained model (TorchSharp flavor) when training ends. Default false, as with MLflow's
    /// <c>autolog(log_models=...)</c> turned off: an application that logs its model itself
    /// (<c>callback.Run.LogModel(model)</c>, perhaps with a signature) then logs it once, not twice.
    /// </summary>
    public bool LogModel { get; init; }

    /// <summary>Where in the run's artifacts the model goes when <see cref="LogModel"/> is on. Default <c>model</c>.</summary>
    public string ArtifactPath { get; init; } = "model";

    /// <summary>With <see cref="LogModel"/>, also register the logged model under this name (a new version); null: do not register.</summary>
    public string? RegisteredModelName { get; init; }

    /// <summary>
    /// With <see cref="LogModel"/>, the signature written into the model's manifest (input and output names, types and
    /// shapes, as servers such as Mlops.Serving publish them); null: none.
    /// </summary>
    public Mlops.Tracking.Models.ModelSignature? Signature { get; init; }
}
