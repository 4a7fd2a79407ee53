using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Hosting;

namespace Mlops.Pipelines;

/// <summary>Adds Mlops pipelines to the host's <see cref="MlopsBuilder"/>.</summary>
public static class PipelinesMlopsBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="PipelineOptions"/> (from <c>Mlops:Pipelines</c> when the builder has configuration, then
    /// <paramref name="configure"/>, which also adds the DAGs; validated when the host starts), the DAGs
    /// (<see cref="DagRegistry"/>), the store (<see cref="SqlitePipelineStore"/> unless an <see cref="IPipelineStore"/>
    /// is already registered), the <see cref="PipelineExecutor"/>, and the <see cref="PipelineScheduler"/> as a hosted
    /// service. The clock is the container's <see cref="TimeProvider"/>, else <see cref="TimeProvider.System"/>.
    /// </summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configure">Adds DAGs and sets options in code, after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddPipelines(this MlopsBuilder builder, Action<PipelineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddPipelines(builder.Section(PipelineOptions.SectionName), configure);
    }

    /// <summary>Registers pipelines as <see cref="AddPipelines(MlopsBuilder, Action{PipelineOptions})"/> does, with options bound from <paramref name="configuration"/>.</summary>
    /// <param name="builder">The host's Mlops builder.</param>
    /// <param name="configuration">The section to bind (instead of <c>Mlops:Pipelines</c>), or null for code only.</param>
    /// <param name="configure">Adds DAGs and sets options in code, after the configuration.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static MlopsBuilder AddPipelines(this MlopsBuilder builder, IConfiguration? configuration, Action<PipelineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOptions<PipelineOptions, PipelineOptionsValidator>(configuration, configure);
        var services = builder.Services;
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
        return builder;
    }
}
