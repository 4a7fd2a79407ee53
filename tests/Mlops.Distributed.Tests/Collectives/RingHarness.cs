using System.Net;
using System.Net.Sockets;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests.Collectives;

/// <summary>Runs N ranks of a TCP ring as threads of the test process, on loopback with a free port.</summary>
internal static class RingHarness
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static CollectiveOptions Options(double timeoutSeconds = 5, int pieceBytes = 4096, int inlineBytes = 1024, bool sharedMemory = true, int segmentBytes = 2 << 20, int smallAllReduceBytes = 64 << 10) => new()
    {
        SharedMemory = sharedMemory,
        CollectiveTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        // Joining waits for the other threads to start: keep it generous on a loaded machine.
        ConnectTimeout = TimeSpan.FromSeconds(Math.Max(timeoutSeconds, 20)),
        PieceBytes = pieceBytes,
        SegmentBytes = segmentBytes,
        SmallAllReduceBytes = smallAllReduceBytes,
        InlineBytes = inlineBytes,
    };

    /// <summary>Runs <paramref name="body"/> on every rank; returns each rank's exception (null when it succeeded).</summary>
    public static Exception?[] Run(int worldSize, CollectiveOptions options, Action<TcpRingCommunicator> body) =>
        RunPerRank(worldSize, _ => options, communicator =>
        {
            // Every test runs the transport it asked for: ranks of one host use shared memory unless it is turned off
            // (Linux; elsewhere the ring stays on TCP).
            Assert.Equal(worldSize == 1 ? "none" : options.SharedMemory && OperatingSystem.IsLinux() ? "shared-memory" : "tcp", communicator.Transport);
            body(communicator);
        });

    /// <summary>As <see cref="Run"/>, with each rank's own options.</summary>
    public static Exception?[] RunPerRank(int worldSize, Func<int, CollectiveOptions> options, Action<TcpRingCommunicator> body)
    {
        var port = FreePort();
        var errors = new Exception?[worldSize];
        // Background threads: a rank that hangs fails the test below and must not keep the test host alive after it.
        var threads = Enumerable.Range(0, worldSize).Select(rank => new Thread(() =>
        {
            try
            {
                using var communicator = TcpRingCommunicator.Create(new ClusterSpec(rank, worldSize, "127.0.0.1", port), options(rank));
                body(communicator);
            }
            catch (Exception ex)
            {
                errors[rank] = ex;
            }
        })
        {
            IsBackground = true,
            Name = $"ring-rank-{rank}",
        }).ToList();
        threads.ForEach(t => t.Start());
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a rank hung");
        }

        return errors;
    }

    public static void RunAll(int worldSize, CollectiveOptions options, Action<TcpRingCommunicator> body)
    {
        var errors = Run(worldSize, options, body);
        var failed = errors.Select((e, r) => (e, r)).Where(x => x.e is not null).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(x => $"rank {x.r}: {x.e}")));
    }
}
