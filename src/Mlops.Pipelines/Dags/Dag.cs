using System.Collections.Frozen;
using System.Text.Json;

namespace Mlops.Pipelines;

/// <summary>
/// A built, immutable and thread-safe DAG: its tasks in a topological order, their dependencies, schedule and run
/// settings. Created with <see cref="Create"/> and <see cref="DagBuilder.Build"/>.
/// </summary>
/// <example>
/// <code>
/// var dag = Dag.Create("ml_pipeline", schedule: TimeSpan.FromDays(1), startDate: new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero),
///                      defaults: new() { Owner = "ml-team", Retries = 1, RetryDelay = TimeSpan.FromMinutes(5) });
/// var t1 = dag.Task("data_preprocessing", Preprocess);
/// var t2 = dag.Task("model_training", Train);
/// _ = t1 &gt;&gt; t2;
/// Dag built = dag.Build();
/// </code>
/// </example>
public sealed class Dag
{
    private readonly FrozenDictionary<string, DagTask> _byId;

    internal Dag(DagBuilder builder, List<DagTaskBuilder> tasks, int[] order, List<(int Up, int Down)> edges, Dictionary<string, JsonElement> parameters)
    {
        DagId = builder.DagId;
        Description = builder.Description;
        Schedule = builder.Schedule;
        StartDate = builder.StartDate?.ToUniversalTime();
        EndDate = builder.EndDate?.ToUniversalTime();
        Catchup = builder.Catchup;
        MaxActiveRuns = builder.MaxActiveRuns;
        DagRunTimeout = builder.DagRunTimeout;
        Params = parameters.ToFrozenDictionary(StringComparer.Ordinal);
        Tags = builder.Tags.ToFrozenSet(StringComparer.Ordinal);

        // Tasks are renumbered in topological order, so index order is a valid execution order.
        var position = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            position[order[i]] = i;
        }

        var renumbered = edges.Select(e => (position[e.Up], position[e.Down])).ToList();
        var upstream = DagGraph.Adjacency(order.Length, renumbered, up: true);
        var downstream = DagGraph.Adjacency(order.Length, renumbered, up: false);
        var built = new DagTask[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            built[i] = new DagTask(this, tasks[order[i]], i, upstream[i], downstream[i]);
        }

        Tasks = built;
        _byId = built.ToFrozenDictionary(t => t.TaskId, StringComparer.Ordinal);
        Roots = built.Where(t => t.UpstreamIndices.Length == 0).ToArray();
        Leaves = built.Where(t => t.DownstreamIndices.Length == 0).ToArray();
    }

    /// <summary>The DAG's id.</summary>
    public string DagId { get; }

    /// <summary>What the DAG does.</summary>
    public string? Description { get; }

    /// <summary>When runs are due; null when the DAG only runs when triggered.</summary>
    public DagSchedule? Schedule { get; }

    /// <summary>The start of the first data interval (UTC).</summary>
    public DateTimeOffset? StartDate { get; }

    /// <summary>No run is scheduled for an interval starting after this date (UTC).</summary>
    public DateTimeOffset? EndDate { get; }

    /// <summary>Whether missed intervals each get a run.</summary>
    public bool Catchup { get; }

    /// <summary>How many runs may be active at once.</summary>
    public int MaxActiveRuns { get; }

    /// <summary>How long a run may take before it fails; null for no limit.</summary>
    public TimeSpan? DagRunTimeout { get; }

    /// <summary>Default run parameters as JSON.</summary>
    public IReadOnlyDictionary<string, JsonElement> Params { get; }

    /// <summary>The DAG's tags.</summary>
    public IReadOnlySet<string> Tags { get; }

    /// <summary>The tasks, in a topological order (each after all its upstream tasks).</summary>
    public IReadOnlyList<DagTask> Tasks { get; }

    /// <summary>Tasks with no upstream task.</summary>
    public IReadOnlyList<DagTask> Roots { get; }

    /// <summary>Tasks with no downstream task; the run's final state is decided from them.</summary>
    public IReadOnlyList<DagTask> Leaves { get; }

    /// <summary>Starts building a DAG.</summary>
    /// <param name="dagId">The DAG's id: 1 to 250 letters, digits, '-', '_' or '.'.</param>
    /// <param name="schedule">When runs are due (a <see cref="TimeSpan"/>, a cron expression or preset); null to run only when triggered.</param>
    /// <param name="startDate">The start of the first data interval; required with a schedule.</param>
    /// <param name="defaults">Default task arguments (Airflow's <c>default_args</c>); copied, so later changes to the object do not apply.</param>
    /// <param name="catchup">Whether missed intervals each get a run.</param>
    /// <param name="description">What the DAG does.</param>
    /// <returns>The builder.</returns>
    public static DagBuilder Create(
        string dagId,
        DagSchedule? schedule = null,
        DateTimeOffset? startDate = null,
        TaskArguments? defaults = null,
        bool catchup = false,
        string? description = null) =>
        new(dagId, defaults?.Clone() ?? new TaskArguments())
        {
            Schedule = schedule,
            StartDate = startDate,
            Catchup = catchup,
            Description = description,
        };

    /// <summary>The task with the given id.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <returns>The task.</returns>
    /// <exception cref="DagValidationException">The DAG has no such task.</exception>
    public DagTask GetTask(string taskId) => _byId.TryGetValue(taskId, out var task) ? task
        : throw new DagValidationException($"DAG '{DagId}' has no task '{taskId}'.", DagId, taskId);

    /// <summary>Looks a task up by id.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="task">The task, when found.</param>
    /// <returns>Whether the DAG has the task.</returns>
    public bool TryGetTask(string taskId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DagTask? task) => _byId.TryGetValue(taskId, out task);

    /// <inheritdoc/>
    public override string ToString() => $"DAG '{DagId}' ({Tasks.Count} tasks)";
}
