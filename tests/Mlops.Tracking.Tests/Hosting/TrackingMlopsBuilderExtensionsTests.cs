using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mlops.Testing.Tracking;
using Mlops.Tracking.Registry;
using Mlops.Tracking.Stores;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Hosting;

public sealed class TrackingMlopsBuilderExtensionsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Binds_the_mlops_tracking_section_and_opens_sqlite_with_a_registry()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Tracking:TrackingUri"] = "sqlite:///" + _folder.Combine("di.db").TrimStart('/').Insert(0, "/"),
            ["Mlops:Tracking:DefaultArtifactRoot"] = _folder.Combine("artifacts"),
        });
        builder.Services.AddMlops(builder.Configuration).AddTracking();
        using var host = builder.Build();
        await host.StartAsync();
        var tracking = host.Services.GetRequiredService<TrackingClient>();
        Assert.IsType<SqliteTrackingStore>(tracking.Store);
        using (var run = tracking.StartRun("di"))
        {
            run.LogMetric("m", 1);
        }

        Assert.StartsWith(_folder.Combine("artifacts"), tracking.SearchRuns(["0"])[0].Info.ArtifactUri, StringComparison.Ordinal);
        Assert.Same(tracking.Registry, host.Services.GetRequiredService<ModelRegistryClient>());
        await host.StopAsync();
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://nowhere")]
    public async Task Invalid_options_fail_when_the_host_starts(string uri)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddMlops().AddTracking(o => o.TrackingUri = uri);
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("TrackingUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_memory_stores_registered_first_are_used()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ITrackingStore, InMemoryTrackingStore>();
        services.AddSingleton<IModelRegistryStore, InMemoryModelRegistryStore>();
        services.AddMlops().AddTracking(o => o.TrackingUri = "sqlite:///unused.db");
        await using var provider = services.BuildServiceProvider();
        var tracking = provider.GetRequiredService<TrackingClient>();
        Assert.IsType<InMemoryTrackingStore>(tracking.Store);
        using var run = tracking.StartRun();
        run.LogParam("p", 1);
        Assert.Throws<MlflowException>(() => run.LogParam("p", 2));
        var version = tracking.Registry.RegisterModel($"runs:/{run.RunId}/model", "m");
        tracking.Registry.SetRegisteredModelAlias("m", "champion", version.Version);
        Assert.Equal(run.Info.ArtifactUri + "/model", await tracking.ResolveModelArtifactUriAsync("models:/m@champion"));
        Assert.Throws<MlflowException>(() => tracking.Registry.SetRegisteredModelAlias("m", "latest", version.Version));
        Assert.False(File.Exists("unused.db"));
    }
}
