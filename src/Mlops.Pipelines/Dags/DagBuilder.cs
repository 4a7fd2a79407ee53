using System.Text.Json;

namespace Mlops.Pipelines;

/// <summary>
/// Builds a <see cref="Dag"/>: tasks (delegates, processes, sensors, custom operators), task groups, dependencies
/// and DAG settings. Created by <see cref="Dag.Create"/>; <see cref="Build"/> validates everything (ids,
/// arguments, unknown tasks, cycles) and returns the immutable DAG. A builder builds once.
/// </summary>
public sealed class DagBuilder
{
    private readonly List<DagTaskBuilder> _tasks = [];
    private readonly Dictionary<string, DagTaskBuilder> _byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _groupIds = new(StringComparer.Ordinal);
    private readonly List<(TaskFlowNode Upstream, TaskFlowNode Downstream)> _edges = [];
    private readonly List<(string Upstream, string Downstream)> _edgesById = [];
    private bool _built;

    internal DagBuilder(string dagId, TaskArguments defaults)
    {
        PipelineIds.ValidateDagId(dagId);
        DagId = dagId;
        Defaults = defaults;
    }

    /// <summary>The DAG's id.</summary>
    public string DagId { get; }

    /// <summary>What the DAG does (shown in views).</summary>
    public string? Description { get; set; }

    /// <summary>When runs are due; null for a DAG that only runs when triggered.</summary>
    public DagSchedule? Schedule { get; set; }

    /// <summary>The start of the first data interval; required when <see cref="Schedule"/> is set.</summary>
    public DateTimeOffset? StartDate { get; set; }

    /// <summary>No run is scheduled for an interval that starts after this date; null for no end.</summary>
    public DateTimeOffset? EndDate { get; set; }

    /// <summary>Whether the scheduler creates a run for every missed interval since the last one (true) or only for the latest (false, the default, as in Airflow 3).</summary>
    public bool Catchup { get; set; }

    /// <summary>How many runs of this DAG may be active at once; 16 by default, as in Airflow.</summary>
    public int MaxActiveRuns { get; set; } = 16;

    /// <summary>A run still going after this long fails and its unfinished tasks are skipped; null for no limit.</summary>
    public TimeSpan? DagRunTimeout { get; set; }

    /// <summary>The default arguments of every task (Airflow's <c>default_args</c>); tasks get a copy when they are added.</summary>
    public TaskArguments Defaults { get; }

    /// <summary>Default run parameters (JSON-serializable values); a triggered run may override them.</summary>
    public IDictionary<string, object?> Params { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Tags shown in views and usable for filtering.</summary>
    public ISet<string> Tags { get; } = new SortedSet<string>(StringComparer.Ordinal);

    /// <summary>The task with the given id (including its group prefix).</summary>
    /// <param name="taskId">The task's id.</param>
    /// <exception cref="DagValidationException">No such task was added.</exception>
    public DagTaskBuilder this[string taskId] => _byId.TryGetValue(taskId, out var task) ? task
        : throw new DagValidationException($"DAG '{DagId}' has no task '{taskId}'.", DagId, taskId);

    /// <summary>Adds a task that runs a synchronous delegate on the thread pool.</summary>
    /// <param name="taskId">The task's id, unique in the DAG.</param>
    /// <param name="action">The work; it receives the task's context.</param>
    /// <param name="configure">Changes this task's arguments (a copy of <see cref="Defaults"/>).</param>
    /// <returns>The task, to draw dependencies with.</returns>
    public DagTaskBuilder Task(string taskId, Action<TaskContext> action, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, DelegateOperator.From(action), Defaults, configure);

    /// <summary>Adds a task that runs a synchronous delegate; a non-null result is passed to other tasks as the XCom <c>return_value</c>.</summary>
    /// <inheritdoc cref="Task(string, Action{TaskContext}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task<T>(string taskId, Func<TaskContext, T> function, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, DelegateOperator.From(function), Defaults, configure);

    /// <summary>Adds a task that runs an asynchronous delegate.</summary>
    /// <inheritdoc cref="Task(string, Action{TaskContext}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task(string taskId, Func<TaskContext, Task> function, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, DelegateOperator.From(function), Defaults, configure);

    /// <summary>Adds a task that runs an asynchronous delegate; a non-null result is passed to other tasks as the XCom <c>return_value</c>.</summary>
    /// <inheritdoc cref="Task(string, Action{TaskContext}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task<T>(string taskId, Func<TaskContext, Task<T>> function, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, DelegateOperator.From(function), Defaults, configure);

    /// <summary>Adds a task that runs a custom operator.</summary>
    /// <param name="taskId">The task's id, unique in the DAG.</param>
    /// <param name="op">What the task does.</param>
    /// <param name="configure">Changes this task's arguments.</param>
    /// <returns>The task.</returns>
    public DagTaskBuilder Task(string taskId, TaskOperator op, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, op, Defaults, configure);

    /// <summary>Adds a task that runs an external process (command, arguments, environment, accepted exit codes; output captured into the task's log).</summary>
    /// <param name="taskId">The task's id, unique in the DAG.</param>
    /// <param name="process">The process to start.</param>
    /// <param name="configure">Changes this task's arguments.</param>
    /// <returns>The task.</returns>
    public DagTaskBuilder ProcessTask(string taskId, ProcessTaskOptions process, Action<TaskArguments>? configure = null) =>
        AddTask(taskId, null, new ProcessOperator(process), Defaults, configure);

    /// <summary>Adds a sensor: pokes <paramref name="poke"/> every poke interval until it returns true or the sensor times out, freeing its slot between pokes.</summary>
    /// <param name="taskId">The task's id, unique in the DAG.</param>
    /// <param name="poke">Checks the condition.</param>
    /// <param name="sensor">Poke interval, timeout and soft-fail; defaults when null.</param>
    /// <param name="configure">Changes this task's arguments.</param>
    /// <returns>The task.</returns>
    public DagTaskBuilder Sensor(string taskId, Func<TaskContext, bool> poke, SensorOptions? sensor = null, Action<TaskArguments>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(poke);
        return AddTask(taskId, null, new SensorOperator(ctx => System.Threading.Tasks.Task.FromResult(poke(ctx)), sensor ?? new SensorOptions()), Defaults, configure);
    }

    /// <summary>Adds a sensor with an asynchronous check.</summary>
    /// <inheritdoc cref="Sensor(string, Func{TaskContext, bool}, SensorOptions?, Action{TaskArguments}?)"/>
    public DagTaskBuilder Sensor(string taskId, Func<TaskContext, Task<bool>> poke, SensorOptions? sensor = null, Action<TaskArguments>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(poke);
        return AddTask(taskId, null, new SensorOperator(poke, sensor ?? new SensorOptions()), Defaults, configure);
    }

    /// <summary>Adds a task group: its tasks' ids are prefixed with <c>groupId.</c>, and it can be one end of a dependency.</summary>
    /// <param name="groupId">The group's id.</param>
    /// <param name="build">Adds the group's tasks and their dependencies.</param>
    /// <param name="configure">Changes the group's default arguments (a copy of <see cref="Defaults"/>).</param>
    /// <returns>The group.</returns>
    public TaskGroupBuilder Group(string groupId, Action<TaskGroupBuilder> build, Action<TaskArguments>? configure = null) =>
        AddGroup(groupId, null, build, configure);

    /// <summary>Makes the task <paramref name="upstreamTaskId"/> run before <paramref name="downstreamTaskId"/>; unknown ids are reported by <see cref="Build"/>.</summary>
    /// <returns>This builder.</returns>
    public DagBuilder Dependency(string upstreamTaskId, string downstreamTaskId)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(upstreamTaskId);
        ArgumentNullException.ThrowIfNull(downstreamTaskId);
        _edgesById.Add((upstreamTaskId, downstreamTaskId));
        return this;
    }

    /// <summary>Chains nodes one after the other (Airflow's <c>chain</c>): each runs before the next.</summary>
    /// <returns>This builder.</returns>
    public DagBuilder Chain(params TaskFlowNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        for (var i = 1; i < nodes.Length; i++)
        {
            AddDependency(nodes[i - 1], nodes[i]);
        }

        return this;
    }

    /// <summary>Makes every node of <paramref name="upstream"/> run before every node of <paramref name="downstream"/> (Airflow's <c>cross_downstream</c>).</summary>
    /// <returns>This builder.</returns>
    public DagBuilder CrossDownstream(IEnumerable<TaskFlowNode> upstream, IEnumerable<TaskFlowNode> downstream)
    {
        AddDependency(TaskSet.Of(this, upstream), TaskSet.Of(this, downstream));
        return this;
    }

    /// <summary>Validates the definition and returns the immutable DAG.</summary>
    /// <returns>The DAG, its tasks in a topological order.</returns>
    /// <exception cref="DagValidationException">An id, argument or setting is invalid, or a dependency names an unknown task.</exception>
    /// <exception cref="DagCycleException">The dependencies form a cycle; the message names a task on it.</exception>
    public Dag Build()
    {
        ThrowIfBuilt();
        ValidateSettings();
        foreach (var task in _tasks)
        {
            task.Arguments.Validate(DagId, task.TaskId);
        }

        var edges = DagGraph.ResolveEdges(this, _tasks, _edges, ResolveIdEdges());
        var order = DagGraph.TopologicalOrder(DagId, _tasks, edges);
        var parameters = Params.ToDictionary(p => p.Key, p => ToJson(p.Key, p.Value), StringComparer.Ordinal);
        _built = true;
        return new Dag(this, _tasks, order, edges, parameters);
    }

    internal DagTaskBuilder AddTask(string taskId, TaskGroupBuilder? group, TaskOperator op, TaskArguments defaults, Action<TaskArguments>? configure)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(op);
        PipelineIds.ValidateTaskId(DagId, taskId);
        var fullId = group is null ? taskId : $"{group.GroupId}.{taskId}";
        if (_byId.ContainsKey(fullId) || _groupIds.Contains(fullId))
        {
            throw new DagValidationException($"DAG '{DagId}' already has a task or group with id '{fullId}'; task ids must be unique.", DagId, fullId);
        }

        var arguments = defaults.Clone();
        configure?.Invoke(arguments);
        var task = new DagTaskBuilder(this, fullId, group, op, arguments) { Order = _tasks.Count };
        _tasks.Add(task);
        _byId.Add(fullId, task);
        return task;
    }

    internal TaskGroupBuilder AddGroup(string groupId, TaskGroupBuilder? parent, Action<TaskGroupBuilder> build, Action<TaskArguments>? configure)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(build);
        PipelineIds.ValidateTaskId(DagId, groupId, "group");
        var fullId = parent is null ? groupId : $"{parent.GroupId}.{groupId}";
        if (_byId.ContainsKey(fullId) || !_groupIds.Add(fullId))
        {
            throw new DagValidationException($"DAG '{DagId}' already has a task or group with id '{fullId}'; group ids must be unique.", DagId, fullId);
        }

        var defaults = (parent?.Defaults ?? Defaults).Clone();
        configure?.Invoke(defaults);
        var group = new TaskGroupBuilder(this, fullId, parent, defaults);
        build(group);
        return group;
    }

    internal void AddDependency(TaskFlowNode upstream, TaskFlowNode downstream)
    {
        ThrowIfBuilt();
        foreach (var node in (ReadOnlySpan<TaskFlowNode>)[upstream, downstream])
        {
            if (!ReferenceEquals(node.Dag, this))
            {
                throw new DagValidationException(
                    $"DAG '{DagId}': '{node}' belongs to DAG '{node.Dag.DagId}'; dependencies can only join tasks of one DAG.", DagId, node.ToString());
            }
        }

        _edges.Add((upstream, downstream));
    }

    private List<(int, int)> ResolveIdEdges()
    {
        var resolved = new List<(int, int)>(_edgesById.Count);
        foreach (var (up, down) in _edgesById)
        {
            resolved.Add((Resolve(up, down), Resolve(down, up)));
        }

        return resolved;

        int Resolve(string id, string other) => _byId.TryGetValue(id, out var task) ? task.Order
            : throw new DagValidationException(
                $"DAG '{DagId}': the dependency between '{id}' and '{other}' names an unknown task '{id}'.", DagId, id);
    }

    private void ValidateSettings()
    {
        string? problem =
            Schedule is not null && StartDate is null ? "a scheduled DAG needs a StartDate"
            : EndDate is { } end && StartDate is { } start && end < start ? $"EndDate {end:O} is before StartDate {start:O}"
            : MaxActiveRuns < 1 ? $"MaxActiveRuns must be 1 or more; got {MaxActiveRuns}"
            : DagRunTimeout is { } t && t <= TimeSpan.Zero ? $"DagRunTimeout must be positive; got {t}"
            : _tasks.Count == 0 ? "a DAG needs at least one task"
            : null;
        if (problem is not null)
        {
            throw new DagValidationException($"DAG '{DagId}': {problem}.", DagId);
        }
    }

    private JsonElement ToJson(string name, object? value)
    {
        try
        {
            return JsonSerializer.SerializeToElement(value);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
        {
            throw new DagValidationException($"DAG '{DagId}': param '{name}' cannot be serialized to JSON: {e.Message}", DagId);
        }
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException($"DAG '{DagId}' has been built; a DagBuilder builds once. Create a new builder to define another DAG.");
        }
    }
}
