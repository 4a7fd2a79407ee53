using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mlops.Storage;
using Mlops.Storage.Azure;

namespace Mlops.Storage.Azure.Tests;

/// <summary>Registration through a real generic host: accounts bound from Mlops:Storage, start-time validation, and the provider the resolver asks.</summary>
public sealed class AzureBlobStorageMlopsBuilderExtensionsTests
{
    private const string ConnectionString =
        "DefaultEndpointsProtocol=https;AccountName=mydata;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net";

    [Fact]
    public async Task Options_bind_from_the_Mlops_Storage_section()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Mlops:Storage:Accounts:mydata:ConnectionString"] = ConnectionString,
            ["Mlops:Storage:Retry:MaxRetryAttempts"] = "7",
            ["Mlops:Storage:Retry:Delay"] = "00:00:00.250",
            ["Mlops:Storage:Retry:AttemptTimeout"] = "00:00:30",
            ["Mlops:Storage:Transfer:BlockSize"] = "8388608",
        });
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var azure = host.Services.GetRequiredService<IOptions<AzureBlobStorageOptions>>().Value;
        Assert.Equal(7, options.Retry.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Retry.AttemptTimeout);
        Assert.Equal(8 * 1024 * 1024, options.Transfer.BlockSize);
        Assert.Equal(ConnectionString, azure.Accounts["MYDATA"].ConnectionString);

        var resolver = host.Services.GetRequiredService<StorageResolver>();
        Assert.Same(resolver, host.Services.GetRequiredService<StorageResolver>());
        Assert.Equal("https://mydata.blob.core.windows.net/c01/x.parquet", resolver.Resolve("wasbs://c01@mydata.blob.core.windows.net/x.parquet").ToString());
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Mlops:Storage:Retry:MaxRetryAttempts", "-1", "Retry.MaxRetryAttempts")]
    [InlineData("Mlops:Storage:Accounts:broken:SasToken", "sv=x", "Accounts:broken")]
    [InlineData("Mlops:Storage:Accounts:broken:ConnectionString", "not a connection string", "Accounts:broken:ConnectionString")]
    public async Task Bad_options_fail_at_host_start_naming_the_field(string key, string value, string field)
    {
        using var host = BuildHost(new Dictionary<string, string?> { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_configuration_and_the_registered_clock_reach_the_resolver()
    {
        var clock = new FakeTimeProvider();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(clock);
        var mlops = builder.Services.AddMlops();
        var returned = mlops.AddStorage(o => o.Retry.MaxDelay = TimeSpan.FromSeconds(5))
            .AddAzureBlobStorage(o => o.Accounts["mydata"] = new AzureBlobAccountOptions { ConnectionString = ConnectionString });
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Same(mlops, returned);
        var resolver = host.Services.GetRequiredService<StorageResolver>();
        Assert.Same(clock, resolver.TimeProvider);
        Assert.Equal(TimeSpan.FromSeconds(5), host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.Retry.MaxDelay);
        var store = Assert.IsType<AzureBlobStore>(resolver.Resolve("https://mydata.blob.core.windows.net/c01/p").Store);
        Assert.Same(store, resolver.Resolve("wasbs://c01@mydata.blob.core.windows.net/q").Store);
        await host.StopAsync();
    }

    [Fact]
    public async Task Azure_storage_alone_adds_storage_and_one_provider()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMlops().AddAzureBlobStorage(o => o.Accounts["mydata"] = new AzureBlobAccountOptions { ConnectionString = ConnectionString })
            .AddAzureBlobStorage();
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Single(host.Services.GetServices<IBlobStoreProvider>());
        Assert.IsType<AzureBlobStore>(host.Services.GetRequiredService<StorageResolver>().Resolve("abfss://c01@mydata.dfs.core.windows.net/p").Store);
        await host.StopAsync();
    }

    [Fact]
    public void Cross_field_rules_are_reported_together()
    {
        var options = new AzureBlobStorageOptions
        {
            Accounts =
            {
                ["both"] = new AzureBlobAccountOptions { ConnectionString = ConnectionString, ServiceUri = new Uri("https://both.blob.core.windows.net") },
                ["ftp"] = new AzureBlobAccountOptions { ServiceUri = new Uri("ftp://ftp.example.com") },
                ["mixed"] = new AzureBlobAccountOptions { ConnectionString = ConnectionString, SasToken = "sv=1" },
            },
        };

        var result = new AzureBlobStorageOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, f => f.Contains("Accounts:both", StringComparison.Ordinal) && f.Contains("not both", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Contains("Accounts:ftp:ServiceUri", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Contains("Accounts:mixed", StringComparison.Ordinal));
        Assert.True(new AzureBlobStorageOptionsValidator().Validate(Options.DefaultName, new AzureBlobStorageOptions()).Succeeded);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMlops(builder.Configuration).AddStorage().AddAzureBlobStorage();
        return builder.Build();
    }
}
