using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Tests;

public class DistributedMlopsBuilderExtensionsTests
{
    [Fact]
    public void OptionsBindFromTheDistributedSectionThenTheCode()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Distributed:Backend"] = "Nccl",
            ["Mlops:Distributed:CollectiveTimeout"] = "00:00:07",
            ["Mlops:Distributed:PieceBytes"] = "65536",
            ["Mlops:Distributed:InlineBytes"] = "2048",
        }).Build();
        var services = new ServiceCollection();
        services.AddMlops(configuration).AddDistributed(o => o.InlineBytes = 4096);
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<CollectiveOptions>>().Value;
        Assert.Equal((CollectiveBackend.Nccl, TimeSpan.FromSeconds(7), 65536, 4096), (options.Backend, options.CollectiveTimeout, options.PieceBytes, options.InlineBytes));
    }

    [Fact]
    public async Task InvalidOptionsFailWhenTheHostStarts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMlops().AddDistributed(o =>
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
        var services = new ServiceCollection();
        services.AddMlops().AddDistributed(o => o.ConnectTimeout = TimeSpan.FromSeconds(5));
        using var provider = services.BuildServiceProvider();
        var communicator = provider.GetRequiredService<ICollectiveCommunicator>();
        Assert.Equal((0, 1, "tcp-ring"), (communicator.Rank, communicator.WorldSize, communicator.Backend));
    }

    [Fact]
    public void TheConfiguredBackendReachesTheCommunicatorAndAnUnavailableOneFailsNamingIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Distributed:Backend"] = "Nccl",
            ["Mlops:Distributed:CudaRuntimePath"] = "/nonexistent/libcudart.so",
        }).Build();
        var services = new ServiceCollection().AddSingleton(ClusterSpec.SingleProcess());
        services.AddMlops(configuration).AddDistributed();
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<CollectiveBackendUnavailableException>(() => provider.GetRequiredService<ICollectiveCommunicator>());
        Assert.Contains("CudaRuntimePath", ex.Message, StringComparison.Ordinal);
    }
}
