namespace Mlops.Features.Server;

/// <summary>Settings of the endpoints <see cref="FeatureServerEndpointRouteBuilderExtensions.MapFeatureServer"/> maps.</summary>
public sealed class FeatureServerOptions
{
    /// <summary>The largest request body accepted, in bytes (larger ones get 413). Default 16 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16L * 1024 * 1024;
}
