using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Serving.Observability;

/// <summary>
/// The serving instruments, on the meter and activity source named <see cref="MeterName"/>; names follow MLServer's
/// <c>model_infer_request_*</c> (Prometheus adds <c>_total</c> to counters, <c>_seconds</c> to the duration's unit).
/// One instance per host (a singleton in DI); front ends count requests they reject before the service, the service
/// counts the rest, so every request is counted once.
/// </summary>
public sealed class ServingMetrics : IDisposable
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string MeterName = "Mlops.Serving";

    private readonly Meter meter;
    private readonly Counter<long> success;
    private readonly Counter<long> failure;
    private readonly Histogram<double> duration;
    private readonly Histogram<long> batchSize;
    private readonly UpDownCounter<long> queueDepth;
    private readonly UpDownCounter<long> loadedModels;
    private readonly ConcurrentDictionary<(string Model, string Version), long> memory = new();

    /// <summary>Creates the instruments on a meter from the factory (or a new meter when null).</summary>
    public ServingMetrics(IMeterFactory? meterFactory = null)
    {
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        success = meter.CreateCounter<long>("model_infer_request_success", description: "Inference requests answered, per model and version.");
        failure = meter.CreateCounter<long>("model_infer_request_failure", description: "Inference requests failed, per model, version and reason (invalid_request, model_not_found, unavailable, timeout, unauthenticated, model_failed).");
        duration = meter.CreateHistogram<double>("model_infer_request_duration", unit: "s", description: "Time from a request's arrival to its answer, per model and version.");
        batchSize = meter.CreateHistogram<long>("model_infer_batch_size", unit: "{row}", description: "Rows per forward pass, per model and version (batches merge concurrent requests).");
        queueDepth = meter.CreateUpDownCounter<long>("model_infer_queue_depth", unit: "{request}", description: "Requests waiting for a batch, per model.");
        loadedModels = meter.CreateUpDownCounter<long>("model_loaded", unit: "{model}", description: "Model versions loaded, per model and version.");
        meter.CreateObservableGauge("model_memory_bytes", ObserveMemory, unit: "By", description: "Resident memory the process grew by while loading each model version (measured around the load), per model and version.");
    }

    /// <summary>The activity source for inference and load traces.</summary>
    public static ActivitySource ActivitySource { get; } = new(MeterName);

    /// <summary>Counts an answered request and its duration.</summary>
    public void RequestSucceeded(string model, string? version, TimeSpan elapsed)
    {
        var tags = Tags(model, version);
        success.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Counts a failed request (model "" when the request never named a valid one) and its duration.</summary>
    public void RequestFailed(string model, string? version, Inference.InferenceErrorKind kind, TimeSpan elapsed)
    {
        var tags = Tags(model, version);
        tags.Add("reason", Reason(kind));
        failure.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, Tags(model, version));
    }

    /// <summary>Records the rows of one forward pass.</summary>
    public void BatchExecuted(string model, string? version, int rows) => batchSize.Record(rows, Tags(model, version));

    /// <summary>Adds to (or, negative, takes from) a model's queue depth.</summary>
    public void QueueChanged(string model, int delta) => queueDepth.Add(delta, new KeyValuePair<string, object?>("model", model));

    /// <summary>Counts a version loaded (+1) or disposed (-1).</summary>
    public void ModelLoadedChanged(string model, string? version, int delta) => loadedModels.Add(delta, Tags(model, version));

    /// <summary>Sets the memory reported for a loaded version (<c>model_memory_bytes</c>), or removes it (null) once the version is disposed.</summary>
    public void SetModelMemory(string model, string? version, long? bytes)
    {
        var key = (model, version ?? string.Empty);
        if (bytes is { } value)
        {
            memory[key] = value;
        }
        else
        {
            memory.TryRemove(key, out _);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveMemory() =>
        memory.Select(entry => new Measurement<long>(entry.Value, Tags(entry.Key.Model, entry.Key.Version)));

    private static TagList Tags(string model, string? version) => new() { { "model", model }, { "version", version ?? string.Empty } };

    private static string Reason(Inference.InferenceErrorKind kind) => kind switch
    {
        Inference.InferenceErrorKind.InvalidRequest => "invalid_request",
        Inference.InferenceErrorKind.ModelNotFound => "model_not_found",
        Inference.InferenceErrorKind.Unavailable => "unavailable",
        Inference.InferenceErrorKind.Timeout => "timeout",
        Inference.InferenceErrorKind.Unauthenticated => "unauthenticated",
        _ => "model_failed",
    };
}
