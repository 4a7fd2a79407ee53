using System.ComponentModel.DataAnnotations;

namespace Mlops.Serving;

/// <summary>
/// Options of the model server, bound from <c>Mlops:Serving</c> by <c>services.AddMlops(configuration).AddServing()</c>
/// and validated when the host starts.
/// </summary>
public sealed class ServingOptions
{
    /// <summary>The name of the section under <c>Mlops</c> these options are bound from (<c>Mlops:Serving</c>).</summary>
    public const string SectionName = "Serving";

    /// <summary>The models served, by name (the name in <c>/v2/models/{name}</c>).</summary>
    public Dictionary<string, ServedModelOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Traffic experiments (A/B, canary, shadow), by the name clients call (<c>/v2/models/{experiment}/infer</c>).</summary>
    public Dictionary<string, TrafficExperimentOptions> Experiments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The server's name in <c>GET /v2</c>.</summary>
    [Required]
    public string ServerName { get; set; } = "mlops-serving";

    /// <summary>How often models served by alias (<c>models:/name@alias</c>) re-resolve the alias; 30 seconds by default.</summary>
    public TimeSpan RegistryPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most rows (first dimension) one request may carry; 65,536 by default.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRowsPerRequest { get; set; } = 65_536;

    /// <summary>The largest request body the front ends accept (413 above); 64 MiB by default.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long one inference may take, queueing included, before it fails with a timeout; 30 seconds by default.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// API keys accepted (as <c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>, compared in constant time) on every
    /// endpoint but health; empty (the default) means no authentication.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Adds a model to serve and returns its options for further settings.</summary>
    /// <param name="name">The name clients call it by.</param>
    /// <param name="uri"><c>models:/name@alias</c>, <c>models:/name/version</c>, <c>runs:/run-id/path</c> or a local folder holding an <c>MLmodel</c> manifest.</param>
    public ServedModelOptions AddModel(string name, string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        var model = new ServedModelOptions { Uri = uri };
        Models[name] = model;
        return model;
    }
}

/// <summary>One served model: where it comes from and how it batches.</summary>
public sealed class ServedModelOptions
{
    /// <summary><c>models:/name@alias</c>, <c>models:/name/version</c>, <c>runs:/run-id/path</c> or a local folder with an <c>MLmodel</c> manifest.</summary>
    [Required]
    public string Uri { get; set; } = string.Empty;

    /// <summary>The most rows merged into one forward pass; 1 (the default) turns batching off.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 1;

    /// <summary>How long the first request of a batch waits for others before the batch goes; a full batch goes at once.</summary>
    public TimeSpan MaxBatchTime { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The most requests waiting for a batch; more get 503 with Retry-After instead of growing memory.</summary>
    [Range(1, 1_000_000)]
    public int MaxQueueLength { get; set; } = 1024;

    /// <summary>Forward passes run at once for this model (used only where the flavor is thread-safe); 1 by default.</summary>
    [Range(1, 256)]
    public int Workers { get; set; } = 1;

    /// <summary>
    /// Online features this model's requests are completed with before it runs (entity ids in, features looked up in
    /// the feature store added as inputs); null (the default) for none. Needs <c>.AddFeatureStore()</c> on the builder.
    /// </summary>
    public Features.OnlineFeatureInputs? OnlineFeatures { get; set; }

    /// <summary>Sets <see cref="OnlineFeatures"/>; returns these options.</summary>
    public ServedModelOptions WithOnlineFeatures(Action<Features.OnlineFeatureInputs> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var features = new Features.OnlineFeatureInputs();
        configure(features);
        OnlineFeatures = features;
        return this;
    }

    /// <summary>Sets <see cref="MaxBatchSize"/> and <see cref="MaxBatchTime"/>; returns these options.</summary>
    public ServedModelOptions WithBatching(int maxBatchSize, TimeSpan maxBatchTime)
    {
        MaxBatchSize = maxBatchSize;
        MaxBatchTime = maxBatchTime;
        return this;
    }
}

/// <summary>A traffic experiment: weighted candidates (A/B, canary) among served models, a default, and an optional shadow.</summary>
public sealed class TrafficExperimentOptions
{
    /// <summary>Candidate model names with their weights (relative, positive).</summary>
    public Dictionary<string, double> Candidates { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The candidate that answers when routing cannot choose (such as a sticky route to a candidate that is gone); required.</summary>
    public string? Default { get; set; }

    /// <summary>A served model that receives a copy of <see cref="MirrorPercent"/> of the traffic; its answers and errors never reach the caller.</summary>
    public string? Mirror { get; set; }

    /// <summary>The share of requests copied to <see cref="Mirror"/>, 0 to 100.</summary>
    [Range(0, 100)]
    public double MirrorPercent { get; set; }
}
