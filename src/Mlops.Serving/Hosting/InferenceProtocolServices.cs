using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Serving.Grpc;
using Mlops.Serving.Observability;
using Mlops.Serving.Security;
using OpenTelemetry.Metrics;

namespace Mlops.Serving.Hosting;

/// <summary>
/// What the protocol front ends need in the container, beside the <see cref="Inference.InferenceService"/> and the
/// <see cref="ServingOptions"/> that <c>AddServing</c> registers: gRPC (the inference service's receive limit is
/// <see cref="ServingOptions.MaxRequestBodyBytes"/>), the API key check, <see cref="ServingMetrics"/>, and
/// OpenTelemetry metrics on the serving meter with the Prometheus exporter behind <c>/metrics</c>.
/// </summary>
internal static class InferenceProtocolServices
{
    public static IServiceCollection Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions<InferenceGrpcService>>()
            .Configure<IOptions<ServingOptions>>((grpc, serving) => grpc.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, serving.Value.MaxRequestBodyBytes));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ServingMetrics.MeterName).AddPrometheusExporter());
        return services;
    }
}
