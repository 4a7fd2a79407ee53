using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;
using Mlops.Training.Runtime;
using Mlops.Training.Distributed;

namespace Mlops.Training.Tests.Distributed;

public sealed class StrategyServiceCollectionTests
{
    [Fact]
    public void Options_bind_from_the_training_section_and_the_strategy_joins_the_job_of_the_environment()
    {
        var configuration = Configuration(new()
        {
            ["Mlops:Training:Device"] = "cpu",
            ["Mlops:Training:BucketBytes"] = "65536",
            ["Mlops:Training:Seed"] = "3",
            ["Mlops:Training:Collectives:Backend"] = "Ring",
            ["Mlops:Training:Collectives:CollectiveTimeout"] = "00:00:07",
        });
        var services = new ServiceCollection().AddSingleton(ClusterSpec.SingleProcess());
        services.AddMlops(configuration).AddTraining(o => o.Seed = 4);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<MultiWorkerMirroredStrategyOptions>>().Value;
        Assert.Equal(
            (TrainingDevice.Cpu, CollectiveBackend.Ring, 65536, (int?)4, TimeSpan.FromSeconds(7)),
            (options.Device, options.Collectives.Backend, options.BucketBytes, options.Seed, options.Collectives.CollectiveTimeout));
        var strategy = provider.GetRequiredService<MultiWorkerMirroredStrategy>();
        Assert.Equal((1, 65536, CollectiveBackend.Ring), (strategy.NumReplicasInSync, strategy.BucketBytes, strategy.Backend));
    }

    [Fact]
    public void A_configured_backend_reaches_the_strategy_and_nccl_without_cuda_fails_naming_the_option()
    {
        TorchRuntime.EnsureInitialized();
        Assert.False(TorchRuntime.IsCudaAvailable, "this test needs a CPU-only libtorch");
        var services = new ServiceCollection().AddSingleton(ClusterSpec.SingleProcess());
        services.AddMlops(Configuration(new() { ["Mlops:Training:Collectives:Backend"] = "Nccl" })).AddTraining();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        // Auto would train on the CPU with the ring here; the configured Nccl must reach the strategy and be refused.
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<MultiWorkerMirroredStrategy>());
        Assert.Contains("Collectives.Backend Nccl reduces CUDA tensors but rank 0 trains on", ex.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(MultiWorkerMirroredStrategyOptions), ex.OptionsType);
    }

    [Fact]
    public async Task Invalid_options_fail_at_start_naming_the_field()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMlops().AddTraining(o =>
        {
            o.BucketBytes = 10;
            o.Device = TrainingDevice.Cpu;
            o.Collectives.Backend = CollectiveBackend.Nccl;
            o.Collectives.CollectiveTimeout = TimeSpan.Zero;
            o.Collectives.PieceBytes = 5001;
        });
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("The field BucketBytes must be between 1024", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Collectives.Backend Nccl reduces CUDA tensors but Device is Cpu", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Collectives.CollectiveTimeout: The field CollectiveTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Collectives.PieceBytes must be a multiple of 8, not 5001", ex.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
