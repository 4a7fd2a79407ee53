using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Serving.Grpc;
using Mlops.Serving.Protocol;
using Mlops.Serving.Rest;
using Mlops.Serving.Security;

namespace Mlops.Serving;

/// <summary>Maps the Open Inference Protocol V2 front ends of the model server into an ASP.NET Core app.</summary>
public static class InferenceProtocolEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the OIP V2 REST API (<c>/v2/...</c>, with the binary tensor data and model repository extensions), the
    /// gRPC service <c>inference.GRPCInferenceService</c> and the Prometheus endpoint <c>/metrics</c>, over the
    /// model server that <c>services.AddMlops().AddServing(...)</c> registers.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="configure">Leaves parts out or moves the metrics endpoint; null maps everything.</param>
    /// <returns>A builder whose conventions (such as <c>RequireHost</c>) apply to every endpoint mapped.</returns>
    /// <exception cref="InvalidOperationException">The model server is not registered.</exception>
    public static IEndpointConventionBuilder MapInferenceProtocol(this IEndpointRouteBuilder endpoints, Action<InferenceProtocolEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new InferenceProtocolEndpointOptions();
        configure?.Invoke(options);
        var builders = new List<IEndpointConventionBuilder>();
        if (options.MapRest)
        {
            builders.AddRange(InferenceRestApi.Map(endpoints));
        }

        if (options.MapGrpc)
        {
            builders.Add(endpoints.MapGrpcService<InferenceGrpcService>());
        }

        if (options.MapMetrics)
        {
            var authenticator = endpoints.ServiceProvider.GetRequiredService<ApiKeyAuthenticator>();
            var metrics = endpoints.MapPrometheusScrapingEndpoint(options.MetricsPath, meterProvider: null, configureBranchedPipeline: options.MetricsRequireApiKey
                ? pipeline => pipeline.Use(next => context => InferenceRestApi.IsAuthorized(context, authenticator)
                    ? next(context)
                    : HttpResponses.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, ProtocolErrors.UnauthenticatedMessage))
                : null, optionsName: null);
            builders.Add(metrics);
        }

        return new CompositeEndpointConventionBuilder(builders);
    }

    private sealed class CompositeEndpointConventionBuilder(List<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }

        public void Finally(Action<EndpointBuilder> finallyConvention)
        {
            foreach (var builder in builders)
            {
                builder.Finally(finallyConvention);
            }
        }
    }
}
