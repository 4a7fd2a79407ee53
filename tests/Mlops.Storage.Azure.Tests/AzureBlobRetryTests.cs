using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Mlops.Core.Tests.Storage;
using Mlops.Storage;
using Mlops.Storage.Azure;
using Mlops.Tests.Support;
using Polly.Timeout;

namespace Mlops.Storage.Azure.Tests;

/// <summary>
/// Retries against a real Azurite conversation with faults injected into the Azure SDK pipeline: transient
/// failures are retried by the store's one policy, permanent ones are not, and the clock is injectable.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobRetryTests : IDisposable
{
    private static readonly BlobTransferOptions SmallPieces = new() { BlockSize = 64 * 1024, ReadChunkSize = 64 * 1024 };
    private readonly AzuriteFixture _azurite;
    private readonly BlobContainerClient _cleanContainer;
    private readonly RecordingLogger _logger = new();

    public AzureBlobRetryTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
        _cleanContainer = azurite.NewContainer();
        _cleanContainer.Create();
    }

    public void Dispose() => _cleanContainer.DeleteIfExists();

    [Theory]
    [InlineData(Fault.ServiceUnavailable, false)]
    [InlineData(Fault.ServiceUnavailable, true)]
    [InlineData(Fault.ConnectionReset, false)]
    [InlineData(Fault.ConnectionReset, true)]
    [InlineData(Fault.LoseResponse, false)]
    public async Task Every_operation_recovers_when_its_first_try_fails(Fault fault, bool useAsync)
    {
        var transport = FaultInjectionTransport.FailFirstTryOfEachRequest(fault);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 2, Delay = TimeSpan.Zero });
        var data = new byte[(200 * 1024) + 7];
        new Random(1).NextBytes(data);

        await using (var writer = useAsync ? await store.OpenWriteAsync("in/data.bin", overwrite: false) : store.OpenWrite("in/data.bin", overwrite: false))
        {
            if (useAsync)
            {
                await writer.WriteAsync(data);
                await writer.CommitAsync();
            }
            else
            {
                writer.Write(data);
                writer.Commit();
            }
        }

        var copy = new MemoryStream();
        await using (var reader = useAsync ? await store.OpenReadAsync("in/data.bin") : store.OpenRead("in/data.bin"))
        {
            await reader.CopyToAsync(copy);
        }

        Assert.Equal(data, copy.ToArray());
        Assert.Equal(data.Length, store.GetInfo("in/data.bin")!.Length);
        Assert.Equal(["in/data.bin"], store.List("in/").Select(b => b.Path));
        store.MovePrefix("in", "out");
        Assert.Equal(["out/data.bin"], store.List("").Select(b => b.Path));
        var deleted = useAsync ? await store.DeletePrefixAsync("out/") : store.DeletePrefix("out/");
        Assert.Empty(store.List(""));

        // A delete whose response was lost is retried, finds nothing, and reports false: a documented limit.
        Assert.Equal(fault == Fault.LoseResponse ? 0 : 1, deleted);

        // Every distinct request failed once and was retried, each retry logged.
        Assert.True(transport.Injected >= 12, $"only {transport.Injected} faults were injected");
        Assert.True(transport.Requests >= transport.Injected * 2);
        Assert.Equal(transport.Injected, _logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("retry", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Gives_up_after_MaxRetryAttempts_with_the_original_error(bool useAsync)
    {
        var transport = new FaultInjectionTransport((_, _) => Fault.ServiceUnavailable);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 3, Delay = TimeSpan.Zero });

        var error = useAsync
            ? await Assert.ThrowsAsync<RequestFailedException>(() => store.OpenReadAsync("any.bin"))
            : Assert.Throws<RequestFailedException>(() => store.OpenRead("any.bin"));

        Assert.Equal(503, error.Status);
        Assert.Equal("ServerBusy", error.ErrorCode);
        Assert.Equal(4, transport.Requests);
        Assert.Equal(3, _logger.Entries.Count(e => e.Level == LogLevel.Warning));
    }

    [Fact]
    public void Zero_retry_attempts_means_one_try()
    {
        var transport = new FaultInjectionTransport((_, _) => Fault.ConnectionReset);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 0 });

        Assert.Throws<IOException>(() => store.GetInfo("x"));
        Assert.Equal(1, transport.Requests);
    }

    [Fact]
    public void Permanent_errors_are_not_retried()
    {
        var transport = new FaultInjectionTransport((_, _) => Fault.None);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 5, Delay = TimeSpan.Zero });

        Assert.Throws<BlobNotFoundException>(() => store.OpenRead("missing.bin"));
        Assert.Equal(1, transport.Requests);
        Assert.Empty(_logger.Entries);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_commit_whose_response_was_lost_is_recognised_as_ours_without_overwrite(bool useAsync)
    {
        var lostOnce = 0;
        var transport = new FaultInjectionTransport((request, _) =>
            request.Method == RequestMethod.Put && request.Uri.ToString().Contains("comp=blocklist", StringComparison.Ordinal) && Interlocked.Exchange(ref lostOnce, 1) == 0
                ? Fault.LoseResponse
                : Fault.None);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 2, Delay = TimeSpan.Zero });

        await using (var writer = store.OpenWrite("once.txt", overwrite: false))
        {
            writer.Write("exactly once"u8);
            if (useAsync)
            {
                await writer.CommitAsync();
            }
            else
            {
                writer.Commit();
            }
        }

        Assert.Equal(1, transport.Injected);
        using var reader = new StreamReader(store.OpenRead("once.txt"));
        Assert.Equal("exactly once", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Retry_delays_run_on_the_injected_clock()
    {
        var clock = new FakeTimeProvider();
        var transport = new FaultInjectionTransport((_, sequence) => sequence == 1 ? Fault.ServiceUnavailable : Fault.None);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 1, Delay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(20) }, clock);

        var pending = store.GetInfoAsync("missing.bin");
        Assert.True(SpinWait.SpinUntil(() => _logger.Entries.Count > 0, TimeSpan.FromSeconds(30)), "the retry was never scheduled");

        // The retry waits on the fake clock: until it moves, the second try cannot have been sent.
        Assert.Equal(1, transport.Requests);
        Assert.False(pending.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(await pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, transport.Requests);
    }

    [Fact]
    public async Task An_attempt_that_hangs_times_out_on_the_injected_clock_and_is_retried()
    {
        var clock = new FakeTimeProvider();
        var transport = new FaultInjectionTransport((_, sequence) => sequence == 1 ? Fault.Hang : Fault.None);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 1, Delay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromSeconds(5) }, clock);

        var pending = store.ExistsAsync("missing.bin");
        Assert.True(SpinWait.SpinUntil(() => transport.Hanging == 1, TimeSpan.FromSeconds(30)), "the first try never started");
        Assert.False(pending.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, transport.Requests);
        Assert.Contains(_logger.Entries, e => e.Message.Contains("timed out", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_attempt_that_hangs_on_every_try_fails_with_a_timeout()
    {
        var clock = new FakeTimeProvider();
        var transport = new FaultInjectionTransport((_, _) => Fault.Hang);
        var store = CreateStore(transport, new BlobRetryOptions { MaxRetryAttempts = 1, Delay = TimeSpan.Zero, AttemptTimeout = TimeSpan.FromSeconds(5) }, clock);

        var pending = store.GetInfoAsync("missing.bin");
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            Assert.True(SpinWait.SpinUntil(() => transport.Hanging == 1 && transport.Requests == attempt, TimeSpan.FromSeconds(30)), $"try {attempt} never started");
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        await Assert.ThrowsAsync<TimeoutRejectedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private AzureBlobStore CreateStore(FaultInjectionTransport transport, BlobRetryOptions retry, TimeProvider? clock = null)
    {
        var options = AzureBlobStore.CreateClientOptions();
        options.Transport = transport;
        var container = new BlobContainerClient(_azurite.ConnectionString, _cleanContainer.Name, options);
        return new AzureBlobStore(container, rootPrefix: null, retry, SmallPieces, clock, _logger);
    }
}
