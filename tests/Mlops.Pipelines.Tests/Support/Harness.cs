using Microsoft.Extensions.Time.Testing;
using Mlops.Testing;

namespace Mlops.Pipelines.Tests.Support;

/// <summary>An executor over an in-memory store and a fake clock, with helpers to wait for persisted states.</summary>
public sealed class Harness : IDisposable
{
    public static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly bool _ownsStore;

    public Harness(ExecutorOptions? options = null, IPipelineStore? store = null)
    {
        Clock = new FakeTimeProvider(Epoch);
        _ownsStore = store is null;
        Store = store ?? new InMemoryPipelineStore();
        Executor = new PipelineExecutor(Store, options, Clock);
    }

    public FakeTimeProvider Clock { get; }

    public IPipelineStore Store { get; }

    public PipelineExecutor Executor { get; }

    /// <summary>Runs a DAG to its end (manual run at the epoch); for DAGs that never wait on the clock.</summary>
    public DagRunRecord Run(Dag dag, DateTimeOffset? logicalDate = null) =>
        Executor.RunAsync(dag, logicalDate ?? Epoch).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

    public Dictionary<string, TaskInstanceState> States(DagRunRecord run) =>
        Store.GetTaskInstances(run.DagId, run.RunId).ToDictionary(t => t.TaskId, t => t.State);

    /// <summary>A task that completes when a task instance reaches the state (after it is persisted).</summary>
    public Task<TaskInstanceRecord> WhenState(string taskId, TaskInstanceState state, int? tryNumber = null)
    {
        var done = new TaskCompletionSource<TaskInstanceRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<TaskStateChangedEventArgs>? handler = null;
        handler = (_, e) =>
        {
            if (e.TaskInstance.TaskId == taskId && e.TaskInstance.State == state && (tryNumber is null || e.TaskInstance.TryNumber == tryNumber))
            {
                Executor.TaskStateChanged -= handler;
                done.TrySetResult(e.TaskInstance);
            }
        };
        Executor.TaskStateChanged += handler;
        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        Executor.Dispose();
        if (_ownsStore)
        {
            // A store passed in outlives the harness (tests reopen it in a second harness, as after a crash).
            (Store as IDisposable)?.Dispose();
        }
    }
}
