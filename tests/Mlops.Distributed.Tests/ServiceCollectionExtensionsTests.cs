using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests;

public class ServiceCollectionExtensionsTests
{
    [Fact]
    public void OptionsBindFromTheTrainingSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Training:Backend"] = "Nccl",
            ["Mlops:Training:CollectiveTimeout"] = "00:00:07",
            ["Mlops:Training:PieceBytes"] = "65536",
        }).Build();
        using var provider = new ServiceCollection().AddMlopsDistributedTraining(configuration.GetSection(DistributedTrainingOptions.SectionName)).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<DistributedTrainingOptions>>().Value;
        Assert.Equal((CollectiveBackend.Nccl, TimeSpan.FromSeconds(7), 65536), (options.Backend, options.CollectiveTimeout, options.PieceBytes));
    }

    [Fact]
    public async Task InvalidOptionsFailWhenTheHostStarts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMlopsDistributedTraining(o =>
        {
            o.PieceBytes = 5001;
            o.SegmentBytes = 10_002;
            o.CollectiveTimeout = TimeSpan.Zero;
            o.ListenAddress = "not-an-ip";
        });
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("PieceBytes must be a multiple of 8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SegmentBytes must be a multiple of 8, not 10002", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ListenAddress 'not-an-ip' is not an IP address", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CollectiveTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCommunicatorJoinsTheJobOfTheEnvironment()
    {
        using var provider = new ServiceCollection().AddMlopsDistributedTraining(o => o.ConnectTimeout = TimeSpan.FromSeconds(5)).BuildServiceProvider();
        var communicator = provider.GetRequiredService<ICollectiveCommunicator>();
        Assert.Equal((0, 1), (communicator.Rank, communicator.WorldSize));
    }
}
