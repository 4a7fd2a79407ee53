using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests.Collectives;

public class RingCollectivesTests
{
    private static readonly int[] Sizes = [0, 1, 3, 13, 1031];

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(3, false)]
    public void BroadcastAllGatherReduceScatterBarrier(int worldSize, bool sharedMemory)
    {
        RingHarness.RunAll(worldSize, RingHarness.Options(sharedMemory: sharedMemory), comm =>
        {
            var rank = comm.Rank;
            foreach (var size in Sizes)
            {
                for (var root = 0; root < worldSize; root++)
                {
                    var data = Enumerable.Range(0, size).Select(i => rank == root ? (i * 3.5) + root : -1.0).ToArray();
                    comm.Broadcast(data.AsSpan(), root);
                    Assert.Equal(Enumerable.Range(0, size).Select(i => (i * 3.5) + root), data);
                }

                var mine = Enumerable.Range(0, size).Select(i => (long)((rank * 100_000) + i)).ToArray();
                var gathered = new long[size * worldSize];
                comm.AllGather<long>(mine, gathered);
                Assert.Equal(Enumerable.Range(0, worldSize).SelectMany(r => Enumerable.Range(0, size).Select(i => (long)((r * 100_000) + i))), gathered);

                var input = Enumerable.Range(0, size * worldSize).Select(i => (float)(i + rank)).ToArray();
                var block = new float[size];
                comm.ReduceScatter<float>(input, block, ReduceOp.Max);
                Assert.Equal(Enumerable.Range(0, size).Select(i => (float)((rank * size) + i + worldSize - 1)), block);
                comm.ReduceScatter<float>(input, block, ReduceOp.Sum);
                Assert.Equal(Enumerable.Range(0, size).Select(i => (float)(worldSize * ((rank * size) + i)) + (worldSize * (worldSize - 1) / 2)), block);
                comm.Barrier();
            }

            Assert.Equal((Sizes.Length * (worldSize + 4)), comm.Sequence);
        });
    }

    [Fact]
    public void RanksWithOneNeighbourOnSharedMemoryAndTheOtherOnTcpStillAgree()
    {
        // Rank 1 refuses shared memory, so rank 0 sends to it over TCP but receives from rank 2 through a pipe, and rank 2
        // the other way round: the "mixed" links a job spread over hosts has. Small (inline) and large (threaded) calls.
        var transports = new string[3];
        var errors = RingHarness.RunPerRank(3, rank => RingHarness.Options(timeoutSeconds: 20, pieceBytes: 64 << 10, sharedMemory: rank != 1), comm =>
        {
            transports[comm.Rank] = comm.Transport;
            foreach (var size in new[] { 1, 1031, 3_000_001 })
            {
                var data = Enumerable.Range(0, size).Select(i => (double)((i % 17) + comm.Rank)).ToArray();
                comm.AllReduce(data.AsSpan());
                for (var i = 0; i < size; i++)
                {
                    if (data[i] != (3 * (i % 17)) + 3)
                    {
                        Assert.Fail($"rank {comm.Rank}, size {size}, element {i}: {data[i]}");
                    }
                }

                var broadcast = Enumerable.Range(0, size).Select(i => comm.Rank == 2 ? (float)i : -1f).ToArray();
                comm.Broadcast(broadcast.AsSpan(), root: 2);
                Assert.True(broadcast.Select((v, i) => v == i).All(x => x), $"rank {comm.Rank}: broadcast of {size} differs");
                comm.Barrier();
            }
        });
        Assert.All(errors, e => Assert.Null(e));
        Assert.Equal(["mixed", "tcp", "mixed"], transports);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AsyncCallsRunInCallOrder(bool sharedMemory)
    {
        RingHarness.RunAll(3, RingHarness.Options(sharedMemory: sharedMemory), comm =>
        {
            var buffers = Enumerable.Range(0, 8).Select(k => Enumerable.Repeat((float)(k + comm.Rank), 5000).ToArray()).ToArray();
            var tasks = buffers.Select(b => comm.AllReduceAsync(b.AsMemory(), ReduceOp.Sum)).ToList();
            tasks.Add(comm.BarrierAsync());
            var block = new int[2];
            tasks.Add(comm.ReduceScatterAsync(new ReadOnlyMemory<int>([1, 2, 3, 4, 5, 6]), block.AsMemory()));
            Assert.True(Task.WaitAll([.. tasks], TimeSpan.FromSeconds(30)), "queued collectives did not finish");
            for (var k = 0; k < buffers.Length; k++)
            {
                Assert.All(buffers[k], v => Assert.Equal((3 * k) + 3, v));
            }

            Assert.Equal(new[] { (comm.Rank * 6) + 3, (comm.Rank * 6) + 6 }, block);
            var tail = new double[] { comm.Rank };
            comm.AllReduce(tail.AsSpan(), ReduceOp.Max);
            Assert.Equal(2.0, tail[0]);
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADifferentSizeOnOneRankIsAnErrorOnEveryRank(bool sharedMemory)
    {
        var errors = RingHarness.Run(3, RingHarness.Options(timeoutSeconds: 3, sharedMemory: sharedMemory), comm =>
        {
            var data = new float[comm.Rank == 1 ? 999 : 1000];
            comm.AllReduce(data.AsSpan());
        });
        Assert.All(errors, e => Assert.IsType<CollectiveMismatchException>(e));
        Assert.All(errors, e => Assert.Contains("AllReduce(Sum, float32 × 999)", e!.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("rank 1", e!.Message, StringComparison.Ordinal));

        // With three ranks a rank that did not detect the mismatch itself can tell which of the two diverged.
        Assert.Contains(errors, e => e!.Message.Contains("so rank 1 is the one that diverged", StringComparison.Ordinal) && ((CollectiveException)e).FaultyRank == 1);
    }

    [Fact]
    public void RanksJoinTheStoreTheirLauncherHostsInsteadOfHostingOne()
    {
        // As under torchrun with TORCHELASTIC_USE_AGENT_STORE=True: the port is the launcher's, so a rank 0 that tried
        // to host its own store there would fail to bind it.
        using var store = Mlops.Distributed.Rendezvous.RendezvousServer.Start(System.Net.IPAddress.Loopback, 0, generation: 3, worldSize: 2);
        var sums = new double[2];
        var errors = new Exception?[2];
        var threads = Enumerable.Range(0, 2).Select(rank => new Thread(() =>
        {
            try
            {
                var spec = new Mlops.Distributed.Cluster.ClusterSpec(rank, 2, "127.0.0.1", store.EndPoint.Port, generation: 3) { LauncherHostsStore = true };
                using var comm = TcpRingCommunicator.Create(spec, RingHarness.Options());
                var value = new[] { rank + 1.0 };
                comm.AllReduce(value.AsSpan());
                sums[rank] = value[0];
            }
            catch (Exception ex)
            {
                errors[rank] = ex;
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(30)), "a rank hung"));
        Assert.All(errors, e => Assert.Null(e));
        Assert.Equal([3.0, 3.0], sums);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADifferentSizeOfSeveralPipesIsStillAnErrorOnEveryRank(bool sharedMemory)
    {
        // 12 MB per rank: every rank has frames half written into its outgoing 4 MiB pipe when the mismatch is found, and
        // the abort must still reach every rank as an abort (not a torn frame, not a timeout).
        var started = System.Diagnostics.Stopwatch.StartNew();
        var errors = RingHarness.Run(3, RingHarness.Options(timeoutSeconds: 3, pieceBytes: 256 << 10, sharedMemory: sharedMemory), comm =>
        {
            var data = new float[comm.Rank == 1 ? 2_999_999 : 3_000_000];
            comm.AllReduce(data.AsSpan());
        });
        Assert.All(errors, e => Assert.IsType<CollectiveMismatchException>(e));
        Assert.All(errors, e => Assert.Contains("AllReduce(Sum, float32 × 2,999,999)", e!.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("rank 1", e!.Message, StringComparison.Ordinal));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ARankThatStopsReadingMidCollectiveMakesTheSenderTimeOutNamingIt(bool sharedMemory)
    {
        // 32 MB queued for a rank that never reads: the sender's pipe (or socket) fills, and it must fail naming that rank
        // within the collective timeout rather than wait for ever.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var errors = RingHarness.Run(2, RingHarness.Options(timeoutSeconds: 1, pieceBytes: 256 << 10, sharedMemory: sharedMemory), comm =>
        {
            if (comm.Rank == 0)
            {
                Thread.Sleep(3000);
                return;
            }

            comm.AllReduce(new float[8_000_000].AsSpan());
        });
        Assert.Null(errors[0]);
        var error = Assert.IsType<CollectiveTimeoutException>(errors[1]);
        Assert.Equal(0, error.FaultyRank);
        Assert.Contains("rank 0", error.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ADifferentCollectiveIsAnErrorOnEveryRankAndAbortsTheCommunicator(bool sharedMemory)
    {
        var errors = RingHarness.Run(2, RingHarness.Options(timeoutSeconds: 3, sharedMemory: sharedMemory), comm =>
        {
            var data = new double[10];
            if (comm.Rank == 0)
            {
                comm.AllReduce(data.AsSpan());
            }
            else
            {
                comm.Broadcast(data.AsSpan(), root: 1);
            }
        });
        Assert.All(errors, e => Assert.IsType<CollectiveMismatchException>(e));
        Assert.All(errors, e => Assert.Contains("#0 AllReduce(Sum, float64 × 10)", e!.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("#0 Broadcast(root 1, float64 × 10)", e!.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AbortedCommunicatorRefusesLaterCalls(bool sharedMemory)
    {
        var errors = RingHarness.Run(2, RingHarness.Options(timeoutSeconds: 3, sharedMemory: sharedMemory), comm =>
        {
            try
            {
                comm.AllReduce(new int[comm.Rank + 1].AsSpan());
            }
            catch (CollectiveMismatchException)
            {
            }

            Assert.NotNull(comm.AbortReason);
            comm.Barrier();
        });
        Assert.All(errors, e => Assert.Contains("the communicator was aborted by an earlier failure", e!.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AStalledRankMakesTheOthersTimeOutNamingIt(bool sharedMemory)
    {
        var errors = RingHarness.Run(3, RingHarness.Options(timeoutSeconds: 1, sharedMemory: sharedMemory), comm =>
        {
            if (comm.Rank == 2)
            {
                Thread.Sleep(2500);
                return;
            }

            comm.AllReduce(new float[100].AsSpan());
        });
        Assert.IsType<CollectiveTimeoutException>(errors[0]);
        Assert.Equal(2, ((CollectiveException)errors[0]!).FaultyRank);
        Assert.Contains("waited 1 s for rank 2", errors[0]!.Message, StringComparison.Ordinal);
        Assert.IsType<CollectiveTimeoutException>(errors[1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CancellationAbortsTheCall(bool sharedMemory)
    {
        var errors = RingHarness.Run(2, RingHarness.Options(timeoutSeconds: 5, sharedMemory: sharedMemory), comm =>
        {
            if (comm.Rank == 1)
            {
                Thread.Sleep(1000);
                return;
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            Assert.ThrowsAny<OperationCanceledException>(() => comm.AllReduce(new float[10].AsSpan(), ReduceOp.Sum, cts.Token));
            Assert.NotNull(comm.AbortReason);
        });
        Assert.Null(errors[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SteadyStateCallsAllocateNoBuffers(bool sharedMemory)
    {
        RingHarness.RunAll(2, RingHarness.Options(pieceBytes: 64 << 10, inlineBytes: 32 << 10, sharedMemory: sharedMemory), comm =>
        {
            var large = new float[1 << 20];
            var small = new float[100];
            var blocks = new float[2 << 16];
            var block = new float[1 << 16];
            comm.AllReduce(large.AsSpan());
            comm.AllReduce(small.AsSpan());
            comm.ReduceScatter<float>(blocks, block);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10; i++)
            {
                comm.AllReduce(large.AsSpan());
                comm.AllReduce(small.AsSpan());
                comm.ReduceScatter<float>(blocks, block);
            }

            // 30 calls moving 4 MB each: a per-call buffer would show up as megabytes; only small bookkeeping remains.
            var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 30;
            Assert.True(perCall < 512, $"{perCall} bytes allocated per call");
        });
    }
}
