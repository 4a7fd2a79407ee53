namespace Mlops.Serving;

/// <summary>Which parts of the protocol <see cref="InferenceProtocolEndpointRouteBuilderExtensions.MapInferenceProtocol"/> maps.</summary>
public sealed class InferenceProtocolEndpointOptions
{
    /// <summary>Map the OIP V2 REST API under <c>/v2</c> (with the binary tensor data and model repository extensions); true by default.</summary>
    public bool MapRest { get; set; } = true;

    /// <summary>Map the OIP V2 gRPC service <c>inference.GRPCInferenceService</c> (served on HTTP/2 endpoints); true by default.</summary>
    public bool MapGrpc { get; set; } = true;

    /// <summary>Map the Prometheus scraping endpoint at <see cref="MetricsPath"/>; true by default.</summary>
    public bool MapMetrics { get; set; } = true;

    /// <summary>The path of the Prometheus scraping endpoint; <c>/metrics</c> by default.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>
    /// Whether the metrics endpoint needs an API key when <see cref="ServingOptions.ApiKeys"/> has any (Prometheus
    /// sends one with <c>authorization: {credentials: KEY}</c> in its scrape config); true by default, since metrics
    /// name the models served. Health endpoints never need a key.
    /// </summary>
    public bool MetricsRequireApiKey { get; set; } = true;
}
