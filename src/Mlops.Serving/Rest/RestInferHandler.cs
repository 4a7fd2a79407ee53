using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mlops.Serving.Inference;
using Mlops.Serving.Observability;
using Mlops.Serving.Protocol;
using Mlops.Serving.Security;

namespace Mlops.Serving.Rest;

/// <summary>
/// <c>POST /v2/models/{model}[/versions/{version}]/infer</c>: authenticates, reads the body within the limit, parses
/// JSON or the binary tensor data extension, calls <see cref="InferenceService.InferAsync"/> under the request
/// timeout, and writes JSON or JSON plus binary outputs. Requests refused before the service are counted here; the
/// service counts the rest.
/// </summary>
internal sealed class RestInferHandler(InferenceService service, ServingOptions options, ServingMetrics metrics, ApiKeyAuthenticator authenticator, ILogger logger)
{
    public const string InferenceHeaderContentLength = "Inference-Header-Content-Length";

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var model = (string)context.Request.RouteValues["model"]!;
        var version = context.Request.RouteValues["version"] as string;
        if (!InferenceRestApi.IsAuthorized(context, authenticator))
        {
            await RejectAsync(context, model, version, started, 401, InferenceErrorKind.Unauthenticated, ProtocolErrors.UnauthenticatedMessage).ConfigureAwait(false);
            return;
        }

        if (!HttpResponses.IsAcceptedContentType(context.Request.ContentType))
        {
            await RejectAsync(context, model, version, started, 415, InferenceErrorKind.InvalidRequest, HttpResponses.UnsupportedMediaTypeMessage(context.Request.ContentType)).ConfigureAwait(false);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.RequestTimeout);
        InferenceRequest request;
        try
        {
            using var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, timeout.Token).ConfigureAwait(false);
            request = Parse(context.Request.Headers[InferenceHeaderContentLength], body.Span);
        }
        catch (ProtocolRejection e)
        {
            await RejectAsync(context, model, version, started, e.HttpStatus, e.Kind, e.Message).ConfigureAwait(false);
            return;
        }
        catch (InferenceException e)
        {
            await RejectAsync(context, model, version, started, ProtocolErrors.HttpStatus(e.Kind), e.Kind, e.Message).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals while reading: its body limit (413), a malformed chunk, a body cut short.
            var status = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : 400;
            var message = status == 413 ? ProtocolRejection.BodyTooLarge(null, options.MaxRequestBodyBytes).Message : "the request body could not be read: " + e.Message;
            await RejectAsync(context, model, version, started, status, InferenceErrorKind.InvalidRequest, message).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            await RejectAsync(context, model, version, started, 504, InferenceErrorKind.Timeout, ProtocolErrors.TimeoutMessage(model, options.RequestTimeout)).ConfigureAwait(false);
            return;
        }

        using var activity = ServingMetrics.ActivitySource.StartActivity("ModelInfer", ActivityKind.Internal);
        activity?.SetTag("mlops.serving.model", model);
        activity?.SetTag("mlops.serving.version", version);
        activity?.SetTag("mlops.serving.protocol", "rest");
        var call = new InferenceCallContext { RequestedRoute = Header(context, InferenceCallContext.RouteHeader) };
        InferenceResponse response;
        try
        {
            response = await service.InferAsync(model, version, request, call, timeout.Token).ConfigureAwait(false);
        }
        catch (InferenceException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Kind.ToString());
            if (e.Kind == InferenceErrorKind.ModelFailed)
            {
                logger.LogError(e, "Inference on model {Model} version {Version} failed", model, version);
            }

            await HttpResponses.WriteErrorAsync(context, ProtocolErrors.HttpStatus(e.Kind), ProtocolErrors.ClientMessage(e, model, "inference"), e.RetryAfter).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, nameof(InferenceErrorKind.Timeout));
            await HttpResponses.WriteErrorAsync(context, 504, ProtocolErrors.TimeoutMessage(model, options.RequestTimeout)).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, nameof(InferenceErrorKind.ModelFailed));
            logger.LogError(e, "Inference on model {Model} version {Version} failed", model, version);
            await HttpResponses.WriteErrorAsync(context, 500, ProtocolErrors.ModelFailedMessage(model, "inference")).ConfigureAwait(false);
            return;
        }

        if (call.Route is { } route)
        {
            context.Response.Headers[InferenceCallContext.RouteHeader] = route;
        }

        await WriteResponseAsync(context, response, request).ConfigureAwait(false);
    }

    /// <summary>Parses the body: all JSON, or (with Inference-Header-Content-Length) a JSON header followed by binary tensors.</summary>
    internal static InferenceRequest Parse(StringValues headerLength, ReadOnlySpan<byte> body)
    {
        if (StringValues.IsNullOrEmpty(headerLength))
        {
            return InferenceRequestReader.Read(body, default, hasBinary: false);
        }

        if (headerLength.Count != 1 || !long.TryParse(headerLength[0], NumberStyles.None, CultureInfo.InvariantCulture, out var jsonLength))
        {
            throw InferenceException.InvalidRequest($"{InferenceHeaderContentLength} must be one non-negative integer; got '{headerLength}'.");
        }

        if (jsonLength > body.Length)
        {
            throw InferenceException.InvalidRequest($"{InferenceHeaderContentLength} is {jsonLength} but the whole body is only {body.Length} bytes.");
        }

        if (jsonLength == 0)
        {
            throw InferenceException.InvalidRequest(
                $"{InferenceHeaderContentLength}: 0 (a raw binary request without a JSON header) is not supported; send the JSON header with binary_data_size on each binary input.");
        }

        return InferenceRequestReader.Read(body[..(int)jsonLength], body[(int)jsonLength..], hasBinary: true);
    }

    private static async Task WriteResponseAsync(HttpContext context, InferenceResponse response, InferenceRequest request)
    {
        using var buffer = new PooledBufferWriter();
        List<InferenceTensor>? binary;
        try
        {
            binary = InferenceResponseWriter.Write(buffer, response, request);
        }
        catch (InferenceException e)
        {
            await HttpResponses.WriteErrorAsync(context, ProtocolErrors.HttpStatus(e.Kind), e.Message).ConfigureAwait(false);
            return;
        }

        if (binary is null)
        {
            await HttpResponses.WriteAsync(context, 200, HttpResponses.Json, buffer.WrittenMemory).ConfigureAwait(false);
            return;
        }

        long length = buffer.WrittenCount;
        foreach (var tensor in binary)
        {
            length += TensorBinaryCodec.EncodedLength(tensor);
        }

        var http = context.Response;
        http.StatusCode = 200;
        http.ContentType = HttpResponses.OctetStream;
        http.ContentLength = length;
        http.Headers[InferenceHeaderContentLength] = buffer.WrittenCount.ToString(CultureInfo.InvariantCulture);
        var pipe = http.BodyWriter;
        pipe.Write(buffer.WrittenMemory.Span);
        foreach (var tensor in binary)
        {
            var size = (int)TensorBinaryCodec.EncodedLength(tensor);
            TensorBinaryCodec.Encode(tensor, pipe.GetSpan(size));
            pipe.Advance(size);
        }

        await pipe.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task RejectAsync(HttpContext context, string model, string? version, long started, int status, InferenceErrorKind kind, string message)
    {
        metrics.RequestFailed(model, version, kind, Stopwatch.GetElapsedTime(started));
        await HttpResponses.WriteErrorAsync(context, status, message).ConfigureAwait(false);
    }

    private static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;
}
