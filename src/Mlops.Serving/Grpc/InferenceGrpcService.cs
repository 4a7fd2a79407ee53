using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Serving.Grpc.Protocol;
using Mlops.Serving.Inference;
using Mlops.Serving.Observability;
using Mlops.Serving.Protocol;
using Mlops.Serving.Rest;
using Mlops.Serving.Security;

namespace Mlops.Serving.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c> over <see cref="InferenceService"/>: health, metadata, inference (typed or raw
/// contents) and the model repository RPCs. Failures are <see cref="RpcException"/>s with the code of their
/// <see cref="InferenceErrorKind"/> (UNAVAILABLE carries a <c>retry-after</c> trailer in seconds); every RPC but
/// ServerLive and ServerReady needs the API key (<c>authorization: Bearer KEY</c> or <c>x-api-key</c>) when keys are
/// configured; the sticky route travels in the <c>x-mlops-route</c> header both ways.
/// </summary>
internal sealed class InferenceGrpcService(
    InferenceService service,
    IOptions<ServingOptions> options,
    ServingMetrics metrics,
    ApiKeyAuthenticator authenticator,
    ILogger<InferenceGrpcService> logger) : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly ServingOptions settings = options.Value;

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = service.IsLive });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = service.IsReady });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        Authorize(context);
        var metadata = service.Metadata;
        var response = new ServerMetadataResponse { Name = metadata.Name, Version = metadata.Version };
        response.Extensions.AddRange(metadata.Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        GuardAsync(request.Name, "model ready", context, async () =>
            new ModelReadyResponse { Ready = await service.IsModelReadyAsync(RequireName(request.Name), Optional(request.Version), context.CancellationToken).ConfigureAwait(false) });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        GuardAsync(request.Name, "model metadata", context, async () =>
        {
            var metadata = await service.GetModelMetadataAsync(RequireName(request.Name), Optional(request.Version), context.CancellationToken).ConfigureAwait(false);
            var response = new ModelMetadataResponse { Name = metadata.Name, Platform = metadata.Platform };
            response.Versions.AddRange(metadata.Versions);
            AddTensors(response.Inputs, metadata.Inputs);
            AddTensors(response.Outputs, metadata.Outputs);
            return response;
        });

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var model = request.ModelName;
        var version = Optional(request.ModelVersion);
        InferenceRequest inference;
        try
        {
            Authorize(context);
            inference = GrpcTensorConverter.ToRequest(RequireNameForInference(request));
        }
        catch (RpcException e)
        {
            metrics.RequestFailed(model, version, e.StatusCode == StatusCode.Unauthenticated ? InferenceErrorKind.Unauthenticated : InferenceErrorKind.InvalidRequest, Stopwatch.GetElapsedTime(started));
            throw;
        }
        catch (InferenceException e)
        {
            metrics.RequestFailed(model, version, e.Kind, Stopwatch.GetElapsedTime(started));
            throw ToRpc(e, model, "inference");
        }

        using var activity = ServingMetrics.ActivitySource.StartActivity("ModelInfer", ActivityKind.Internal);
        activity?.SetTag("mlops.serving.model", model);
        activity?.SetTag("mlops.serving.version", version);
        activity?.SetTag("mlops.serving.protocol", "grpc");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(settings.RequestTimeout);
        var call = new InferenceCallContext { RequestedRoute = context.RequestHeaders.Get(InferenceCallContext.RouteHeader)?.Value };
        InferenceResponse response;
        try
        {
            response = await service.InferAsync(model, version, inference, call, timeout.Token).ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Kind.ToString());
            if (e.Kind == InferenceErrorKind.ModelFailed)
            {
                logger.LogError(e, "Inference on model {Model} version {Version} failed", model, version);
            }

            throw ToRpc(e, model, "inference");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, nameof(InferenceErrorKind.Timeout));
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, ProtocolErrors.TimeoutMessage(model, settings.RequestTimeout)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, nameof(InferenceErrorKind.ModelFailed));
            logger.LogError(e, "Inference on model {Model} version {Version} failed", model, version);
            throw new RpcException(new Status(StatusCode.Internal, ProtocolErrors.ModelFailedMessage(model, "inference")));
        }

        if (call.Route is { } route)
        {
            await context.WriteResponseHeadersAsync(new Metadata { { InferenceCallContext.RouteHeader, route } }).ConfigureAwait(false);
        }

        try
        {
            return GrpcTensorConverter.ToResponse(response, inference, requestWasRaw: request.RawInputContents.Count > 0);
        }
        catch (InferenceException e)
        {
            logger.LogError(e, "The response of model {Model} version {Version} could not be encoded", model, version);
            throw ToRpc(e, model, "inference");
        }
    }

    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context) =>
        GuardAsync(string.Empty, "repository index", context, async () =>
        {
            var index = await service.GetRepositoryIndexAsync(request.Ready, context.CancellationToken).ConfigureAwait(false);
            var response = new RepositoryIndexResponse();
            foreach (var model in index)
            {
                response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex
                {
                    Name = model.Name,
                    Version = model.Version ?? string.Empty,
                    State = InferenceRestApi.StateName(model.State),
                    Reason = model.Reason ?? string.Empty,
                });
            }

            return response;
        });

    public override Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context) =>
        GuardAsync(request.ModelName, "model load", context, async () =>
        {
            RefuseOverrides(request.Parameters.Keys, "load");
            await service.LoadModelAsync(RequireName(request.ModelName), context.CancellationToken).ConfigureAwait(false);
            return new RepositoryModelLoadResponse();
        });

    public override Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context) =>
        GuardAsync(request.ModelName, "model unload", context, async () =>
        {
            RefuseOverrides(request.Parameters.Keys, "unload");
            await service.UnloadModelAsync(RequireName(request.ModelName), context.CancellationToken).ConfigureAwait(false);
            return new RepositoryModelUnloadResponse();
        });

    private async Task<T> GuardAsync<T>(string model, string operation, ServerCallContext context, Func<Task<T>> call)
    {
        Authorize(context);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            if (e.Kind == InferenceErrorKind.ModelFailed)
            {
                logger.LogError(e, "{Operation} of model {Model} failed", operation, model);
            }

            throw ToRpc(e, model, operation);
        }
        catch (Exception e) when (e is not RpcException && (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested))
        {
            logger.LogError(e, "{Operation} of model {Model} failed", operation, model);
            throw new RpcException(new Status(StatusCode.Internal, string.IsNullOrEmpty(model)
                ? $"{operation} failed; the server log has the details."
                : ProtocolErrors.ModelFailedMessage(model, operation)));
        }
    }

    private void Authorize(ServerCallContext context)
    {
        if (!authenticator.Enabled)
        {
            return;
        }

        var headers = context.RequestHeaders;
        if (!authenticator.IsAuthorized(headers.Get("authorization")?.Value, headers.Get("x-api-key")?.Value))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, ProtocolErrors.UnauthenticatedMessage));
        }
    }

    private static RpcException ToRpc(InferenceException exception, string model, string operation)
    {
        var trailers = new Metadata();
        if (exception.Kind == InferenceErrorKind.Unavailable)
        {
            trailers.Add("retry-after", ProtocolErrors.RetryAfterSeconds(exception.RetryAfter));
        }

        return new RpcException(new Status(ProtocolErrors.GrpcStatus(exception.Kind), ProtocolErrors.ClientMessage(exception, model, operation)), trailers);
    }

    private static void RefuseOverrides(IEnumerable<string> parameters, string operation)
    {
        foreach (var name in parameters)
        {
            if (name == "config" || name.StartsWith("file:", StringComparison.Ordinal))
            {
                throw InferenceException.InvalidRequest($"the {operation} parameter '{name}' is not supported: models load from the URI the server is configured with.");
            }
        }
    }

    private static ModelInferRequest RequireNameForInference(ModelInferRequest request)
    {
        RequireName(request.ModelName);
        return request;
    }

    private static string RequireName(string name) =>
        string.IsNullOrEmpty(name) ? throw InferenceException.InvalidRequest("the request names no model.") : name;

    private static string? Optional(string value) => string.IsNullOrEmpty(value) ? null : value;

    private static void AddTensors(Google.Protobuf.Collections.RepeatedField<ModelMetadataResponse.Types.TensorMetadata> target, IReadOnlyList<TensorMetadata> tensors)
    {
        foreach (var tensor in tensors)
        {
            var metadata = new ModelMetadataResponse.Types.TensorMetadata { Name = tensor.Name, Datatype = tensor.Datatype.ToProtocolName() };
            metadata.Shape.AddRange(tensor.Shape);
            target.Add(metadata);
        }
    }
}
