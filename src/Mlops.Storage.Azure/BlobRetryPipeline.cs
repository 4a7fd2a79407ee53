using System.ComponentModel.DataAnnotations;
using Azure;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Mlops.Storage;

namespace Mlops.Storage.Azure;

/// <summary>
/// Builds the one resilience pipeline that governs every remote blob call: an outer retry on transient
/// failures (exponential backoff with jitter) around an inner per-attempt timeout, both on an injected clock.
/// </summary>
internal static partial class BlobRetryPipeline
{
    /// <summary>Builds a pipeline from validated options.</summary>
    public static ResiliencePipeline Create(BlobRetryOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider, Name = "Mlops.Storage" };
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.Delay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, options.MaxRetryAttempts, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            });
        }

        // Inner, so each attempt gets its own budget and a timed-out attempt is retried.
        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }

    /// <summary>
    /// Whether a failure is worth retrying: throttling, server errors and timeouts from the service, and
    /// network failures. A cancellation the caller asked for is never transient.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken)
    {
        switch (exception)
        {
            case RequestFailedException { Status: 408 or 429 or 500 or 502 or 503 or 504 }:
            case TimeoutRejectedException:
            case TimeoutException:
            case IOException:
            case System.Net.Http.HttpRequestException:
                return true;
            case RequestFailedException { Status: 0 } noResponse:
                // The SDK wraps transport failures (no response at all) with status 0.
                return noResponse.InnerException is { } inner && IsTransient(inner, callerToken);
            case OperationCanceledException:
                // A cancellation nobody asked for is the HTTP stack giving up on a slow response.
                return !callerToken.IsCancellationRequested;
            default:
                return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Blob storage call failed transiently; retry {Attempt} of {MaxAttempts} in {DelayMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, int maxAttempts, double delayMs, string? reason, Exception? exception);
}
