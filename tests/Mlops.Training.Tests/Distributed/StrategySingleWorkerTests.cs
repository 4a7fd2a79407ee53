using System.Net;
using System.Net.Sockets;
using Mlops.Training.Distributed;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Mlops.Training.Tests.Distributed;

/// <summary>The strategy on its own (world size 1), options, scope and seeding, in the test process.</summary>
[Collection(StrategyProcessCollection.Name)]
public sealed class StrategySingleWorkerTests
{
    [Fact]
    public void One_worker_opens_no_socket_and_every_collective_leaves_the_values_as_they_are()
    {
        // The rendezvous port is taken: a strategy that tried to host the store there would fail.
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;
        using var strategy = MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(port), new MultiWorkerMirroredStrategyOptions { Device = TrainingDevice.Cpu });

        Assert.Equal((1, 0, 0, true), (strategy.NumReplicasInSync, strategy.Rank, strategy.ReplicaId, strategy.IsChief));
        Assert.Equal(DeviceType.CPU, strategy.Device.type);
        Assert.Equal(CollectiveBackend.Ring, strategy.Backend);
        using var gradients = torch.tensor(new[] { 1.5, -2.0, 3.25 });
        strategy.BroadcastParameters(gradients);
        strategy.AllReduceSum(gradients);
        Assert.Equal([1.5, -2.0, 3.25], gradients.data<double>().ToArray());
        Span<double> stats = [4, 5];
        strategy.AllReduceSum(stats);
        Assert.Equal([4.0, 5.0], stats.ToArray());
        strategy.Barrier();
        strategy.AgreeOnErrors(null, "input check");
        Assert.Equal(default, strategy.Statistics);
    }

    [Fact]
    public void One_worker_reports_its_own_error_as_a_replica_failure()
    {
        using var strategy = Single();
        var ex = Assert.Throws<ReplicaFailedException>(() => strategy.AgreeOnErrors("NaN loss at step 3", "step 3"));
        Assert.Equal((0, "step 3", "NaN loss at step 3"), (ex.Replica, ex.Stage, ex.Detail));
        Assert.Equal("rank 0, step 3: NaN loss at step 3", ex.Message);
    }

    [Fact]
    public void Scope_makes_the_strategy_the_ambient_replica_context_while_building()
    {
        using var strategy = Single();
        Assert.Null(ReplicaScope.Current);
        var seen = strategy.Scope(() => ReplicaScope.Current);
        Assert.Same(strategy, seen);
        Assert.Null(ReplicaScope.Current);
        using (strategy.EnterScope())
        {
            Assert.Same(strategy, ReplicaScope.Current);
        }

        Assert.Null(ReplicaScope.Current);
    }

    [Fact]
    public void Seed_makes_parameters_reproducible_and_the_seed_option_applies_it_at_start()
    {
        using var strategy = Single();
        strategy.Seed(42);
        using var first = randn(5, dtype: ScalarType.Float64);
        strategy.Seed(42);
        using var second = randn(5, dtype: ScalarType.Float64);
        Assert.Equal(first.data<double>().ToArray(), second.data<double>().ToArray());

        using var seeded = MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions { Device = TrainingDevice.Cpu, Seed = 42 });
        using var third = randn(5, dtype: ScalarType.Float64);
        Assert.Equal(first.data<double>().ToArray(), third.data<double>().ToArray());
    }

    [Fact]
    public void Cuda_asked_for_without_cuda_fails_with_the_runtime_message()
    {
        TorchRuntime.EnsureInitialized();
        Assert.False(TorchRuntime.IsCudaAvailable, "this test needs a CPU-only libtorch");
        var ex = Assert.Throws<TorchLoadException>(() => MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions { Device = TrainingDevice.Cuda }));
        Assert.Contains("CUDA was asked for but is not available", ex.Message, StringComparison.Ordinal);
        var nccl = Assert.Throws<OptionsValidationException>(() => MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions { Collectives = { Backend = CollectiveBackend.Nccl } }));
        Assert.Contains("Collectives.Backend Nccl reduces CUDA tensors", nccl.Message, StringComparison.Ordinal);

        using var auto = Single(TrainingDevice.Auto);
        Assert.Equal(DeviceType.CPU, auto.Device.type);
    }

    [Fact]
    public void Invalid_options_are_refused_naming_each_problem()
    {
        var options = new MultiWorkerMirroredStrategyOptions { Device = TrainingDevice.Cpu, BucketBytes = 100, IntraOpThreads = 0 };
        options.Collectives.Backend = CollectiveBackend.Nccl;
        options.Collectives.PieceBytes = 5001;
        var ex = Assert.Throws<OptionsValidationException>(() => MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), options));
        Assert.Contains("Collectives.Backend Nccl reduces CUDA tensors but Device is Cpu", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BucketBytes: The field BucketBytes must be between 1024", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IntraOpThreads: The field IntraOpThreads must be between 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Collectives.PieceBytes must be a multiple of 8, not 5001", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_strategy_refuses_work()
    {
        var strategy = Single();
        strategy.Dispose();
        strategy.Dispose();
        using var tensor = zeros(3);
        Assert.Throws<ObjectDisposedException>(() => strategy.AllReduceSum(tensor));
        Assert.Throws<ObjectDisposedException>(() => strategy.EnterScope());
    }

    private static MultiWorkerMirroredStrategy Single(TrainingDevice device = TrainingDevice.Cpu) =>
        MultiWorkerMirroredStrategy.Create(ClusterSpec.SingleProcess(), new MultiWorkerMirroredStrategyOptions { Device = device });
}
