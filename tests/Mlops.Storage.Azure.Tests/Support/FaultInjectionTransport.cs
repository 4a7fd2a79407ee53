using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Mlops.Tests.Support;

/// <summary>What <see cref="FaultInjectionTransport"/> does to one request.</summary>
public enum Fault
{
    /// <summary>Pass the request through.</summary>
    None,

    /// <summary>Answer 503 Server Busy without sending the request.</summary>
    ServiceUnavailable,

    /// <summary>Fail as a dropped connection before anything is sent.</summary>
    ConnectionReset,

    /// <summary>Send the request, then fail as if the response was lost on the way back.</summary>
    LoseResponse,

    /// <summary>Never answer; wait until the request is cancelled.</summary>
    Hang,
}

/// <summary>
/// An Azure SDK transport that injects transport and service failures into a real HTTP conversation with
/// Azurite, so retries are tested against the real client and server rather than a mock. It is a transport,
/// not a pipeline policy, so that the SDK classifies injected responses exactly as it classifies real ones.
/// </summary>
public sealed class FaultInjectionTransport : HttpPipelineTransport
{
    private readonly HttpClientTransport _inner = new();
    private readonly Func<Request, int, Fault> _decide;
    private int _requests;
    private int _injected;
    private int _hanging;

    /// <param name="decide">Given a request and its 1-based sequence number, the fault to inject.</param>
    public FaultInjectionTransport(Func<Request, int, Fault> decide) => _decide = decide;

    /// <summary>Every request seen, faulted or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How many faults were injected.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>How many requests are hanging right now.</summary>
    public int Hanging => Volatile.Read(ref _hanging);

    /// <summary>Fails the first try of every distinct request (method, URL and range) with <paramref name="fault"/>.</summary>
    public static FaultInjectionTransport FailFirstTryOfEachRequest(Fault fault)
    {
        var seen = new HashSet<string>();
        return new FaultInjectionTransport((request, _) =>
        {
            request.Headers.TryGetValue("x-ms-range", out var range);
            lock (seen)
            {
                return seen.Add($"{request.Method} {request.Uri} {range}") ? fault : Fault.None;
            }
        });
    }

    public override Request CreateRequest() => _inner.CreateRequest();

    public override void Process(HttpMessage message) => ProcessAsync(message, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message) => ProcessAsync(message, async: true);

    private async ValueTask ProcessAsync(HttpMessage message, bool async)
    {
        var fault = _decide(message.Request, Interlocked.Increment(ref _requests));
        if (fault != Fault.None)
        {
            Interlocked.Increment(ref _injected);
        }

        switch (fault)
        {
            case Fault.ServiceUnavailable:
                message.Response = new StubResponse(503, "Server Busy", "ServerBusy");
                return;
            case Fault.ConnectionReset:
                throw new IOException("Injected fault: connection reset by peer.");
            case Fault.Hang:
                Interlocked.Increment(ref _hanging);
                try
                {
                    await Task.Delay(Timeout.Infinite, message.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _hanging);
                }

                return;
        }

        if (async)
        {
            await _inner.ProcessAsync(message).ConfigureAwait(false);
        }
        else
        {
            _inner.Process(message);
        }

        if (fault == Fault.LoseResponse)
        {
            throw new IOException("Injected fault: the connection dropped before the response arrived.");
        }
    }

    private sealed class StubResponse(int status, string reason, string errorCode) : Response
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ms-error-code"] = errorCode,
            ["Content-Length"] = "0",
        };

        public override int Status => status;

        public override string ReasonPhrase => reason;

        public override Stream? ContentStream { get; set; } = new MemoryStream();

        public override string ClientRequestId { get; set; } = Guid.NewGuid().ToString();

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) => _headers.TryGetValue(name, out value);

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = _headers.TryGetValue(name, out var value) ? [value] : null;
            return values is not null;
        }
    }
}
