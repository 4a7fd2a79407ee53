using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Pipelines.Tests.Support;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Scheduling;

/// <summary>
/// A run is driven by one loop at a time, so every task runs once per try: in a host whose scheduler starts the
/// queued run that a direct <see cref="PipelineExecutor.RunAsync"/> is about to drive, and between two executors.
/// </summary>
public class SingleDriveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_right_after_host_start_runs_every_task_once_although_the_scheduler_starts_the_run_too(bool sqlite)
    {
        using var folder = new TemporaryFolder();
        var builder = Host.CreateApplicationBuilder();
        if (!sqlite)
        {
            builder.Services.AddSingleton<IPipelineStore, InMemoryPipelineStore>();
        }

        var runs = new Dictionary<string, int>(StringComparer.Ordinal);
        using var gate = new ManualResetEventSlim(false);
        builder.Services.AddMlops().AddPipelines(o =>
        {
            o.Store.Path = folder.File("pipelines.db");
            o.RunScheduler = true;
            o.AddDag(services =>
            {
                var dag = Dag.Create("twice");
                var a = dag.Task("a", _ =>
                {
                    Count(runs, "a");
                    Assert.True(gate.Wait(TimeSpan.FromSeconds(30)), "the test never released task a");
                });
                var b = dag.Task("b", _ => Count(runs, "b"));
                _ = a >> b;
                return dag.Build();
            });
        });
        using var host = builder.Build();
        var executor = host.Services.GetRequiredService<PipelineExecutor>();
        var scheduler = host.Services.GetRequiredService<PipelineScheduler>();
        using var schedulerDriving = new ManualResetEventSlim(false);
        executor.DagRunStateChanged += (_, e) =>
        {
            if (e.Run.State == DagRunState.Running)
            {
                schedulerDriving.Set();
            }
        };

        await host.StartAsync();
        try
        {
            // Make the race the issue saw certain: once RunAsync has created its run (queued), the scheduler starts it
            // and is driving it before RunAsync goes on to execute it.
            var handled = 0;
            executor.DagRunStateChanged += (_, e) =>
            {
                if (e.Run.State == DagRunState.Queued && Interlocked.Exchange(ref handled, 1) == 0)
                {
                    scheduler.SchedulePass();
                    Assert.True(schedulerDriving.Wait(TimeSpan.FromSeconds(30)), "the scheduler never started the run");
                }
            };
            var dag = host.Services.GetRequiredService<DagRegistry>().Get("twice");
            var runTask = executor.RunAsync(dag);
            gate.Set();
            var run = await runTask.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(DagRunState.Success, run.State);
            lock (runs)
            {
                Assert.Equal(1, runs["a"]);
                Assert.Equal(1, runs["b"]);
            }

            var attempts = executor.Store.GetTaskAttempts("twice", run.RunId);
            Assert.Equal(["a:1:Success", "b:1:Success"], attempts.Select(x => $"{x.TaskId}:{x.TryNumber}:{x.State}").Order());
            await scheduler.WaitForActiveRunsAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            gate.Set();
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Two_calls_on_one_executor_share_one_drive_and_a_second_executor_is_refused()
    {
        using var folder = new TemporaryFolder();
        using var store = new SqlitePipelineStore(new SqlitePipelineStoreOptions { Path = folder.File("p.db") });
        using var first = new Harness(store: store);
        using var second = new PipelineExecutor(store, timeProvider: first.Clock);
        using var gate = new ManualResetEventSlim(false);
        var started = new SemaphoreSlim(0);
        var count = 0;
        var dagBuilder = Dag.Create("shared");
        dagBuilder.Task("t", _ =>
        {
            Interlocked.Increment(ref count);
            started.Release();
            Assert.True(gate.Wait(TimeSpan.FromSeconds(30)), "the test never released the task");
        });
        var dag = dagBuilder.Build();
        var created = first.Executor.CreateDagRun(dag, DagRunType.Manual, Harness.Epoch);

        var driving = first.Executor.ExecuteAsync(dag, created.RunId);
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30)));
        var joining = first.Executor.ExecuteAsync(dag, created.RunId);
        var refused = await Assert.ThrowsAsync<DagRunOwnedException>(() => second.ExecuteAsync(dag, created.RunId));
        Assert.Contains("'shared'", refused.Message);
        Assert.False(joining.IsCompleted);
        gate.Set();

        var ended = await driving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DagRunState.Success, ended.State);
        Assert.Equal(ended, await joining.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, Volatile.Read(ref count));
        Assert.Single(store.GetTaskAttempts("shared", created.RunId));
    }

    private static void Count(Dictionary<string, int> runs, string taskId)
    {
        lock (runs)
        {
            runs[taskId] = runs.GetValueOrDefault(taskId) + 1;
        }
    }
}
