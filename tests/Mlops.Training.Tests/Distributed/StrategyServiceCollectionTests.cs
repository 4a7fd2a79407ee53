using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mlops.Training.Distributed;
using Mlops.Distributed.Cluster;

namespace Mlops.Training.Tests.Distributed;

public sealed class StrategyServiceCollectionTests
{
    [Fact]
    public void Options_bind_from_the_training_section_and_the_strategy_joins_the_job_of_the_environment()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Training:CollectiveTimeout"] = "00:00:07",
            ["Mlops:Training:Strategy:Device"] = "cpu",
            ["Mlops:Training:Strategy:Communication"] = "Ring",
            ["Mlops:Training:Strategy:BucketBytes"] = "65536",
            ["Mlops:Training:Strategy:Seed"] = "3",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton(ClusterSpec.SingleProcess())
            .AddMlopsTraining(configuration.GetSection("Mlops:Training"));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var options = provider.GetRequiredService<IOptions<MultiWorkerMirroredStrategyOptions>>().Value;
        Assert.Equal(
            (TrainingDevice.Cpu, CommunicationImplementation.Ring, 65536, (int?)3, TimeSpan.FromSeconds(7)),
            (options.Device, options.Communication, options.BucketBytes, options.Seed, options.Collectives.CollectiveTimeout));
        var strategy = provider.GetRequiredService<MultiWorkerMirroredStrategy>();
        Assert.Equal((1, 65536), (strategy.NumReplicasInSync, strategy.BucketBytes));
    }

    [Fact]
    public void Invalid_options_fail_at_start_naming_the_section_and_the_problem()
    {
        using var provider = new ServiceCollection()
            .AddMlopsTraining(o =>
            {
                o.BucketBytes = 10;
                o.Collectives.CollectiveTimeout = TimeSpan.Zero;
            })
            .BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Mlops:Training:Strategy: BucketBytes must be at least 1024, not 10.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Collectives: The field CollectiveTimeout", ex.Message, StringComparison.Ordinal);
    }
}
