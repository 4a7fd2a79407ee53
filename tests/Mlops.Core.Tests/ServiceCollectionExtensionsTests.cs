using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mlops.Storage;

namespace Mlops.Core.Tests;

/// <summary>Registration through a real generic host: binding, start-time validation, and what the resolver receives.</summary>
public sealed class ServiceCollectionExtensionsTests
{
    [Fact]
    public async Task Options_bind_from_the_Mlops_Storage_section()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Mlops:Storage:Retry:MaxRetryAttempts"] = "7",
            ["Mlops:Storage:Retry:Delay"] = "00:00:00.250",
            ["Mlops:Storage:Retry:AttemptTimeout"] = "00:00:30",
            ["Mlops:Storage:Transfer:BlockSize"] = "8388608",
        });
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal(7, options.Retry.MaxRetryAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Retry.AttemptTimeout);
        Assert.Equal(8 * 1024 * 1024, options.Transfer.BlockSize);

        var resolver = host.Services.GetRequiredService<StorageResolver>();
        Assert.Same(resolver, host.Services.GetRequiredService<StorageResolver>());
        Assert.IsType<LocalBlobStore>(resolver.Resolve(Path.Combine(Path.GetTempPath(), "x.parquet")).Store);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("Mlops:Storage:Retry:MaxRetryAttempts", "-1", "Retry.MaxRetryAttempts")]
    [InlineData("Mlops:Storage:Retry:AttemptTimeout", "00:00:00", "Retry.AttemptTimeout")]
    [InlineData("Mlops:Storage:Transfer:BlockSize", "100", "Transfer.BlockSize")]
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
        var returned = mlops.AddStorage(o => o.Retry.MaxDelay = TimeSpan.FromSeconds(5));
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Same(mlops, returned);
        var resolver = host.Services.GetRequiredService<StorageResolver>();
        Assert.Same(clock, resolver.TimeProvider);
        Assert.Equal(TimeSpan.FromSeconds(5), host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.Retry.MaxDelay);
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_a_registered_clock_the_system_clock_is_used()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMlops().AddStorage();
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Same(TimeProvider.System, host.Services.GetRequiredService<StorageResolver>().TimeProvider);
        await host.StopAsync();
    }

    [Fact]
    public void Cross_field_rules_are_reported_together()
    {
        var options = new StorageOptions
        {
            Retry = { Delay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(1) },
            Transfer = { BlockSize = 100 },
        };

        var result = new StorageOptionsValidator().Validate(Options.DefaultName, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, f => f.Contains("Retry.MaxDelay", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.Contains("Transfer.BlockSize", StringComparison.Ordinal));
        Assert.True(new StorageOptionsValidator().Validate(Options.DefaultName, new StorageOptions()).Succeeded);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMlops(builder.Configuration).AddStorage();
        return builder.Build();
    }
}
