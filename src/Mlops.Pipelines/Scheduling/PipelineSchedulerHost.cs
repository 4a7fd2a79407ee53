using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mlops.Pipelines;

/// <summary>Runs the registered <see cref="PipelineScheduler"/> with the host when <see cref="PipelineOptions.RunScheduler"/> is on.</summary>
internal sealed class PipelineSchedulerHost(IServiceProvider services, IOptions<PipelineOptions> options) : IHostedService
{
    private PipelineScheduler? _scheduler;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.RunScheduler)
        {
            return Task.CompletedTask;
        }

        _scheduler = (PipelineScheduler)services.GetService(typeof(PipelineScheduler))!;
        return _scheduler.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _scheduler?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
