using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Mlops.Distributed.Rendezvous;

namespace Mlops.Distributed.Tests.Rendezvous;

public sealed class RendezvousStoreTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    // A test that waits on the store must fail, not hang, when the store never answers.
    private static readonly TimeSpan TestDeadline = TimeSpan.FromSeconds(30);
    private readonly RendezvousServer _server = RendezvousServer.Start(IPAddress.Loopback, 0, generation: 3, worldSize: 3);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task UntilParked(RendezvousServer server)
    {
        var watch = Stopwatch.StartNew();
        while (server.PendingWaits == 0)
        {
            Assert.True(watch.Elapsed < TestDeadline, "the store never parked the wait");
            await Task.Delay(5);
        }
    }

    private RendezvousClient Client(int rank, long generation = 3, int worldSize = 3) =>
        RendezvousClient.Connect("127.0.0.1", _server.EndPoint.Port, generation, rank, worldSize, Timeout);

    [Fact]
    public async Task SetGetAddCompareAndSetDelete()
    {
        using var a = Client(0);
        using var b = Client(1);
        a.SetString("k", "v1");
        Assert.Equal("v1", b.GetString("k", Timeout));
        Assert.Null(b.TryGet("absent"));

        Assert.Equal(5, a.Add("counter", 5));
        Assert.Equal(3, await b.AddAsync("counter", -2));

        Assert.Null(a.CompareAndSet("cas", Encoding.UTF8.GetBytes("x"), Encoding.UTF8.GetBytes("y")));
        Assert.Equal("first", Encoding.UTF8.GetString(a.CompareAndSet("cas", null, Encoding.UTF8.GetBytes("first"))!));
        Assert.Equal("first", Encoding.UTF8.GetString(b.CompareAndSet("cas", null, Encoding.UTF8.GetBytes("second"))!));
        Assert.Equal("third", Encoding.UTF8.GetString(b.CompareAndSet("cas", Encoding.UTF8.GetBytes("first"), Encoding.UTF8.GetBytes("third"))!));

        Assert.True(a.Delete("k"));
        Assert.False(a.Delete("k"));
        a.SetString("text", "not a number");
        Assert.Contains("not an integer", Assert.Throws<RendezvousException>(() => a.Add("text", 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWaitsForALaterSet()
    {
        using var a = Client(0);
        using var b = Client(1);
        var waiting = b.GetAsync("late", Timeout);
        await UntilParked(_server);

        Assert.False(waiting.IsCompleted);
        await a.SetAsync("late", new byte[] { 42 });
        Assert.Equal(new byte[] { 42 }, await waiting.WaitAsync(TestDeadline));
    }

    [Fact]
    public async Task AWaitWithoutPracticalDeadlineIsStillAnswered()
    {
        using var a = Client(0);
        using var b = Client(1);
        var waiting = b.GetAsync("late", TimeSpan.MaxValue);
        await UntilParked(_server);
        a.Set("late", [7]);
        Assert.Equal(new byte[] { 7 }, await waiting.WaitAsync(TestDeadline));
        Assert.Equal(new byte[] { 7 }, b.Get("late", TimeSpan.MaxValue));
    }

    [Fact]
    public async Task BarrierReleasesEveryRankAndRepeats()
    {
        var clients = Enumerable.Range(0, 3).Select(r => Client(r)).ToArray();
        for (var round = 0; round < 3; round++)
        {
            await Task.WhenAll(clients.Select(c => c.BarrierAsync("step", Timeout))).WaitAsync(TestDeadline);
        }

        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Fact]
    public void BarrierTimeoutNamesTheRanksThatDidNotArrive()
    {
        using var a = Client(0);
        using var c = Client(2);
        var ex = Assert.Throws<RendezvousTimeoutException>(() => a.Barrier("start", TimeSpan.FromMilliseconds(200)));
        Assert.Equal(new[] { 1, 2 }, ex.MissingRanks);
        Assert.Contains("rank(s) 1, 2 did not arrive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherGenerationIsRefused()
    {
        var ex = Assert.Throws<RendezvousException>(() => Client(1, generation: 2));
        Assert.Contains("rank 1 belongs to generation 2 but the store on rank 0 serves generation 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongWorldSizeAndDuplicateRankAreRefused()
    {
        Assert.Contains("world size is 4", Assert.Throws<RendezvousException>(() => Client(1, worldSize: 4)).Message, StringComparison.Ordinal);
        using var first = Client(1);
        Assert.Contains("rank 1 is already connected", Assert.Throws<RendezvousException>(() => Client(1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectGivesUpAtItsDeadline()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var ex = Assert.Throws<RendezvousException>(() => RendezvousClient.Connect("127.0.0.1", port, 0, 1, 2, TimeSpan.FromMilliseconds(300)));
        Assert.Contains($"Rank 1 could not reach the rendezvous store at 127.0.0.1:{port} (hosted by rank 0)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerDeadlinesFollowTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        await using var server = RendezvousServer.Start(IPAddress.Loopback, 0, 0, 2, time);
        using var client = RendezvousClient.Connect("127.0.0.1", server.EndPoint.Port, 0, 0, 2, Timeout);
        var waiting = client.WaitAsync(RendezvousClient.RankKeys("ready/", 2), TimeSpan.FromHours(1));
        await UntilParked(server);

        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromHours(1));
        var ex = await Assert.ThrowsAsync<RendezvousTimeoutException>(() => waiting.WaitAsync(TestDeadline));
        Assert.Equal(new[] { 0, 1 }, ex.MissingRanks);
    }

    [Fact]
    public async Task LosingTheServerIsAnErrorNotAHang()
    {
        var server = RendezvousServer.Start(IPAddress.Loopback, 0, 0, 2);
        using var client = RendezvousClient.Connect("127.0.0.1", server.EndPoint.Port, 0, 1, 2, Timeout);
        var waiting = client.GetAsync("never", TimeSpan.FromMinutes(5));
        await UntilParked(server);

        await server.DisposeAsync();
        var ex = await Assert.ThrowsAnyAsync<RendezvousException>(() => waiting.WaitAsync(TestDeadline));
        Assert.Contains("when rank 0 shut it down", ex.Message, StringComparison.Ordinal);
        Assert.Contains("rank 0", Assert.ThrowsAny<RendezvousException>(() => client.Set("after", [1])).Message, StringComparison.Ordinal);
    }
}
