using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Pipelines;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Mlops.Pipelines with a host's services.</summary>
public static class MlopsPipelinesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the DAGs (<see cref="DagRegistry"/>), the store (<see cref="SqlitePipelineStore"/> unless an
    /// <see cref="IPipelineStore"/> is already registered), the <see cref="PipelineExecutor"/>, and the
    /// <see cref="PipelineScheduler"/> as a hosted service. Options are validated when the host starts. The clock is the
    /// <see cref="TimeProvider"/> registered in the container, else <see cref="TimeProvider.System"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Adds DAGs and sets options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsPipelines(this IServiceCollection services, Action<PipelineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services).Configure(configure);
        return services;
    }

    /// <summary>Registers Mlops.Pipelines binding options from <paramref name="configuration"/> (<c>Mlops:Pipelines</c>), then applying <paramref name="configure"/> (to add DAGs).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The <c>Mlops:Pipelines</c> section.</param>
    /// <param name="configure">Adds DAGs and sets options in code.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMlopsPipelines(this IServiceCollection services, IConfiguration configuration, Action<PipelineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = AddCore(services).Bind(configuration);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return services;
    }

    private static OptionsBuilder<PipelineOptions> AddCore(IServiceCollection services)
    {
        services.TryAddSingleton<IPipelineStore>(provider =>
            new SqlitePipelineStore(provider.GetRequiredService<IOptions<PipelineOptions>>().Value.Store));
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<PipelineOptions>>().Value;
            return new DagRegistry(options.DagFactories.Select(f => f(provider)));
        });
        services.TryAddSingleton(provider => new PipelineExecutor(
            provider.GetRequiredService<IPipelineStore>(),
            provider.GetRequiredService<IOptions<PipelineOptions>>().Value.Executor,
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton(provider => new PipelineScheduler(
            provider.GetRequiredService<PipelineExecutor>(),
            provider.GetRequiredService<DagRegistry>(),
            provider.GetRequiredService<IOptions<PipelineOptions>>().Value.Scheduler,
            provider.GetService<ILogger<PipelineScheduler>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PipelineSchedulerHost>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
        return services.AddOptions<PipelineOptions>().ValidateOnStart();
    }
}
