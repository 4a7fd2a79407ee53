using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Serving.Inference;
using Mlops.Serving.Observability;
using Mlops.Serving.Protocol;
using Mlops.Serving.Security;

namespace Mlops.Serving.Rest;

/// <summary>
/// The Open Inference Protocol V2 REST API on endpoint routing: health, server and model metadata, model ready,
/// inference (<see cref="RestInferHandler"/>), the model repository extension, and a JSON 404 for any other path under
/// <c>/v2</c>. Every route accepts one method (405 with Allow otherwise); every error is <c>{"error": "..."}</c>;
/// every route but <c>/v2/health/*</c> needs the API key when keys are configured.
/// </summary>
internal sealed class InferenceRestApi
{
    private readonly InferenceService service;
    private readonly ServingOptions options;
    private readonly ApiKeyAuthenticator authenticator;
    private readonly ILogger logger;
    private readonly RestInferHandler infer;

    private InferenceRestApi(IServiceProvider services)
    {
        service = services.GetService<InferenceService>() ?? throw new InvalidOperationException(
            "No InferenceService is registered: MapInferenceProtocol needs the model server, which services.AddMlops().AddServing(...) registers.");
        options = services.GetRequiredService<IOptions<ServingOptions>>().Value;
        authenticator = services.GetRequiredService<ApiKeyAuthenticator>();
        logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Mlops.Serving.Rest");
        infer = new RestInferHandler(service, options, services.GetRequiredService<ServingMetrics>(), authenticator, logger);
    }

    /// <summary>Maps every route; returns their convention builders.</summary>
    public static List<IEndpointConventionBuilder> Map(IEndpointRouteBuilder endpoints)
    {
        var api = new InferenceRestApi(endpoints.ServiceProvider);
        var get = HttpMethods.Get;
        var post = HttpMethods.Post;
        return
        [
            Route(endpoints, "/v2/health/live", get, api.Open("server live", api.LiveAsync)),
            Route(endpoints, "/v2/health/ready", get, api.Open("server ready", api.ReadyAsync)),
            Route(endpoints, "/v2", get, api.Secured("server metadata", api.ServerMetadataAsync)),
            Route(endpoints, "/v2/models/{model}", get, api.Secured("model metadata", api.ModelMetadataAsync)),
            Route(endpoints, "/v2/models/{model}/versions/{version}", get, api.Secured("model metadata", api.ModelMetadataAsync)),
            Route(endpoints, "/v2/models/{model}/ready", get, api.Secured("model ready", api.ModelReadyAsync)),
            Route(endpoints, "/v2/models/{model}/versions/{version}/ready", get, api.Secured("model ready", api.ModelReadyAsync)),
            Route(endpoints, "/v2/models/{model}/infer", post, api.Open("inference", api.infer.HandleAsync)),
            Route(endpoints, "/v2/models/{model}/versions/{version}/infer", post, api.Open("inference", api.infer.HandleAsync)),
            Route(endpoints, "/v2/repository/index", post, api.Secured("repository index", api.RepositoryIndexAsync)),
            Route(endpoints, "/v2/repository/models/{model}/load", post, api.Secured("model load", api.LoadAsync)),
            Route(endpoints, "/v2/repository/models/{model}/unload", post, api.Secured("model unload", api.UnloadAsync)),
            endpoints.Map("/v2/{**path}", api.Secured("routing", NotFoundAsync)).WithDisplayName("OIP V2 unknown route"),
        ];
    }

    internal static bool IsAuthorized(HttpContext context, ApiKeyAuthenticator authenticator)
    {
        if (!authenticator.Enabled)
        {
            return true;
        }

        var headers = context.Request.Headers;
        return authenticator.IsAuthorized(headers.Authorization.Count == 1 ? headers.Authorization[0] : null, headers.TryGetValue(ApiKeyAuthenticator.ApiKeyHeader, out var key) && key.Count == 1 ? key[0] : null);
    }

    private static IEndpointConventionBuilder Route(IEndpointRouteBuilder endpoints, string pattern, string method, RequestDelegate handler) =>
        endpoints.Map(pattern, context => HttpMethods.Equals(context.Request.Method, method) ? handler(context) : MethodNotAllowedAsync(context, method))
            .WithDisplayName($"OIP V2 {method} {pattern}");

    private static Task MethodNotAllowedAsync(HttpContext context, string method)
    {
        context.Response.Headers.Allow = method;
        return HttpResponses.WriteErrorAsync(context, 405, $"{context.Request.Path} takes {method}, not {context.Request.Method}.");
    }

    private static Task NotFoundAsync(HttpContext context) => HttpResponses.WriteErrorAsync(context, 404,
        $"no such endpoint: {context.Request.Method} {context.Request.Path}. The protocol's endpoints are /v2, /v2/health/{{live,ready}}, /v2/models/{{model}}[/versions/{{version}}][/ready|/infer] and /v2/repository/{{index,models/{{model}}/load,models/{{model}}/unload}}.");

    private RequestDelegate Open(string operation, RequestDelegate handler) => context => GuardAsync(context, operation, handler, secured: false);

    private RequestDelegate Secured(string operation, RequestDelegate handler) => context => GuardAsync(context, operation, handler, secured: true);

    private async Task GuardAsync(HttpContext context, string operation, RequestDelegate handler, bool secured)
    {
        var model = context.Request.RouteValues["model"] as string ?? string.Empty;
        try
        {
            if (secured && !IsAuthorized(context, authenticator))
            {
                await HttpResponses.WriteErrorAsync(context, 401, ProtocolErrors.UnauthenticatedMessage).ConfigureAwait(false);
                return;
            }

            await handler(context).ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            if (e.Kind == InferenceErrorKind.ModelFailed)
            {
                logger.LogError(e, "{Operation} of model {Model} failed", operation, model);
            }

            await HttpResponses.WriteErrorAsync(context, ProtocolErrors.HttpStatus(e.Kind), ProtocolErrors.ClientMessage(e, model, operation), e.RetryAfter).ConfigureAwait(false);
        }
        catch (ProtocolRejection e)
        {
            await HttpResponses.WriteErrorAsync(context, e.HttpStatus, e.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            var status = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : 400;
            await HttpResponses.WriteErrorAsync(context, status, status == 413
                ? ProtocolRejection.BodyTooLarge(null, options.MaxRequestBodyBytes).Message
                : "the request body could not be read: " + e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: there is no one to answer.
        }
        catch (Exception e)
        {
            // The exception text stays in the log: it may carry paths or model internals a client must not see.
            logger.LogError(e, "{Operation} failed for {Method} {Path}", operation, context.Request.Method, context.Request.Path);
            await HttpResponses.WriteErrorAsync(context, 500, string.IsNullOrEmpty(model)
                ? $"{operation} failed; the server log has the details."
                : ProtocolErrors.ModelFailedMessage(model, operation)).ConfigureAwait(false);
        }
    }

    private Task LiveAsync(HttpContext context)
    {
        var live = service.IsLive;
        return HttpResponses.WriteJsonAsync(context, live ? 200 : 503, live, static (writer, value) =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("live"u8, value);
            writer.WriteEndObject();
        });
    }

    private Task ReadyAsync(HttpContext context)
    {
        var ready = service.IsReady;
        return HttpResponses.WriteJsonAsync(context, ready ? 200 : 503, ready, static (writer, value) =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ready"u8, value);
            writer.WriteEndObject();
        });
    }

    private Task ServerMetadataAsync(HttpContext context) => HttpResponses.WriteJsonAsync(context, 200, service.Metadata, static (writer, metadata) =>
    {
        writer.WriteStartObject();
        writer.WriteString("name"u8, metadata.Name);
        writer.WriteString("version"u8, metadata.Version);
        writer.WriteStartArray("extensions"u8);
        foreach (var extension in metadata.Extensions)
        {
            writer.WriteStringValue(extension);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private async Task ModelMetadataAsync(HttpContext context)
    {
        var metadata = await service.GetModelMetadataAsync(Model(context), Version(context), context.RequestAborted).ConfigureAwait(false);
        await HttpResponses.WriteJsonAsync(context, 200, metadata, static (writer, m) =>
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, m.Name);
            writer.WriteStartArray("versions"u8);
            foreach (var v in m.Versions)
            {
                writer.WriteStringValue(v);
            }

            writer.WriteEndArray();
            writer.WriteString("platform"u8, m.Platform);
            WriteTensors(writer, "inputs"u8, m.Inputs);
            WriteTensors(writer, "outputs"u8, m.Outputs);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task ModelReadyAsync(HttpContext context)
    {
        var model = Model(context);
        var ready = await service.IsModelReadyAsync(model, Version(context), context.RequestAborted).ConfigureAwait(false);
        await HttpResponses.WriteJsonAsync(context, ready ? 200 : 503, (model, ready), static (writer, state) =>
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, state.model);
            writer.WriteBoolean("ready"u8, state.ready);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task RepositoryIndexAsync(HttpContext context)
    {
        var readyOnly = false;
        await ReadOptionalObjectAsync(context, "the repository index request", (ref Utf8JsonReader reader) =>
        {
            if (reader.ValueTextEquals("ready"u8))
            {
                reader.Read();
                readyOnly = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw InferenceException.InvalidRequest($"the repository index request's 'ready' must be true or false; got {TensorJsonReader.Describe(ref reader)}."),
                };
                return true;
            }

            return false;
        }).ConfigureAwait(false);
        var index = await service.GetRepositoryIndexAsync(readyOnly, context.RequestAborted).ConfigureAwait(false);
        await HttpResponses.WriteJsonAsync(context, 200, index, static (writer, models) =>
        {
            writer.WriteStartArray();
            foreach (var model in models)
            {
                writer.WriteStartObject();
                writer.WriteString("name"u8, model.Name);
                if (model.Version is { } version)
                {
                    writer.WriteString("version"u8, version);
                }

                writer.WriteString("state"u8, StateName(model.State));
                writer.WriteString("reason"u8, model.Reason ?? string.Empty);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private async Task LoadAsync(HttpContext context)
    {
        await ReadRepositoryParametersAsync(context, "load").ConfigureAwait(false);
        await service.LoadModelAsync(Model(context), context.RequestAborted).ConfigureAwait(false);
        await HttpResponses.WriteAsync(context, 200, null, default).ConfigureAwait(false);
    }

    private async Task UnloadAsync(HttpContext context)
    {
        await ReadRepositoryParametersAsync(context, "unload").ConfigureAwait(false);
        await service.UnloadModelAsync(Model(context), context.RequestAborted).ConfigureAwait(false);
        await HttpResponses.WriteAsync(context, 200, null, default).ConfigureAwait(false);
    }

    /// <summary>
    /// A load or unload body: empty, or <c>{"parameters": {...}}</c>. Triton's <c>config</c> and <c>file:</c> overrides
    /// are refused (models come from their configured URI); other parameters, such as <c>unload_dependents</c>, have
    /// nothing to act on here and are accepted.
    /// </summary>
    private Task ReadRepositoryParametersAsync(HttpContext context, string operation) =>
        ReadOptionalObjectAsync(context, $"the {operation} request", (ref Utf8JsonReader reader) =>
        {
            if (!reader.ValueTextEquals("parameters"u8))
            {
                return false;
            }

            var parameters = JsonParameters.Read(ref reader, $"the {operation} request");
            foreach (var name in parameters?.Keys ?? Enumerable.Empty<string>())
            {
                if (name == "config" || name.StartsWith("file:", StringComparison.Ordinal))
                {
                    throw InferenceException.InvalidRequest(
                        $"the {operation} parameter '{name}' is not supported: models load from the URI the server is configured with.");
                }
            }

            return true;
        });

    private delegate bool PropertyReader(ref Utf8JsonReader reader);

    /// <summary>Reads an optional JSON object body, handing each property to <paramref name="property"/> (false: skip it).</summary>
    private async Task ReadOptionalObjectAsync(HttpContext context, string what, PropertyReader property)
    {
        if (!HttpResponses.IsAcceptedContentType(context.Request.ContentType))
        {
            throw new ProtocolRejection(415, InferenceErrorKind.InvalidRequest, HttpResponses.UnsupportedMediaTypeMessage(context.Request.ContentType));
        }

        using var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(body.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw InferenceException.InvalidRequest($"{what} must be empty or a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!property(ref reader))
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.Read())
            {
                throw InferenceException.InvalidRequest($"{what} holds more than one JSON value.");
            }
        }
        catch (JsonException e)
        {
            throw InferenceException.InvalidRequest($"{what} is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw InferenceException.InvalidRequest($"{what} holds a string that is not valid UTF-8: {e.Message}");
        }
    }

    private static void WriteTensors(Utf8JsonWriter writer, ReadOnlySpan<byte> property, IReadOnlyList<TensorMetadata> tensors)
    {
        writer.WriteStartArray(property);
        foreach (var tensor in tensors)
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, tensor.Name);
            writer.WriteString("datatype"u8, tensor.Datatype.ToProtocolName());
            writer.WriteStartArray("shape"u8);
            foreach (var dimension in tensor.Shape)
            {
                writer.WriteNumberValue(dimension);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    internal static string StateName(ModelState state) => state switch
    {
        ModelState.Ready => "READY",
        ModelState.Loading => "LOADING",
        ModelState.Unloading => "UNLOADING",
        _ => "UNAVAILABLE",
    };

    private static string Model(HttpContext context) => (string)context.Request.RouteValues["model"]!;

    private static string? Version(HttpContext context) => context.Request.RouteValues["version"] as string;
}
