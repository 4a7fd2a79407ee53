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

/// <summary>Validates <see cref="PipelineOptions"/> when the host starts, naming the field at fault.</summary>
internal sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        var failures = new List<string>();
        Check(() => options.Executor.Validate(), "Executor");
        Check(() => options.Scheduler.Validate(), "Scheduler");
        if (string.IsNullOrWhiteSpace(options.Store.Path))
        {
            failures.Add("Mlops:Pipelines:Store:Path must name the database file.");
        }

        if (options.Store.BusyTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Mlops:Pipelines:Store:BusyTimeout must be positive; got {options.Store.BusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(Action validate, string section)
        {
            try
            {
                validate();
            }
            catch (System.ComponentModel.DataAnnotations.ValidationException e)
            {
                failures.Add($"Mlops:Pipelines:{section}: {e.Message}");
            }
        }
    }
}
