using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mlops.Pipelines.Tests.Support;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Scheduling;

public class PipelinesMlopsBuilderExtensionsTests
{
    [Fact]
    public async Task Host_binds_configuration_registers_dags_and_runs_the_scheduler_on_sqlite()
    {
        using var folder = new TemporaryFolder();
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 1, 3, 1, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mlops:Pipelines:Store:Path"] = folder.File("pipelines.db"),
            ["Mlops:Pipelines:Executor:MaxParallelism"] = "4",
            ["Mlops:Pipelines:Executor:Pools:gpu"] = "1",
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddMlops(builder.Configuration).AddPipelines(o => o.AddDag(_ =>
        {
            var dag = Dag.Create("hosted", schedule: "@daily", startDate: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), catchup: true);
            dag.Task("t", _ => { }, a => a.Pool = "gpu");
            return dag.Build();
        }));
        using var host = builder.Build();
        var executor = host.Services.GetRequiredService<PipelineExecutor>();
        var done = new TaskCompletionSource();
        var successes = 0;
        executor.DagRunStateChanged += (_, e) =>
        {
            if (e.Run.State == DagRunState.Success && Interlocked.Increment(ref successes) == 2)
            {
                done.TrySetResult();
            }
        };

        await host.StartAsync();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.IsType<SqlitePipelineStore>(host.Services.GetRequiredService<IPipelineStore>());
        Assert.Equal(4, executor.Options.MaxParallelism);
        Assert.Equal(2, executor.Store.GetDagRuns(new DagRunQuery { DagId = "hosted" }).Count);
        Assert.Same(clock, executor.Time);
    }

    [Fact]
    public void A_registered_store_replaces_sqlite_and_bad_options_fail_at_start_naming_the_field()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IPipelineStore, InMemoryPipelineStore>();
        builder.Services.AddMlops().AddPipelines(o =>
        {
            o.Executor.MaxParallelism = 0;
            o.RunScheduler = false;
        });
        using var host = builder.Build();
        Assert.IsType<InMemoryPipelineStore>(host.Services.GetRequiredService<IPipelineStore>());
        var e = Assert.Throws<OptionsValidationException>(() => host.StartAsync().GetAwaiter().GetResult());
        Assert.Contains("MaxParallelism", e.Message);
    }
}
