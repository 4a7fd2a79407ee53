namespace Mlops.Pipelines;

/// <summary>
/// A named group of tasks (Airflow's <c>TaskGroup</c>): task ids are prefixed with the group id, the group can have
/// its own default arguments, and it can be one end of a dependency: upstream nodes of the group connect to its
/// roots (members with no upstream inside the group), its leaves connect to downstream nodes.
/// </summary>
public sealed class TaskGroupBuilder : TaskFlowNode
{
    private readonly List<DagTaskBuilder> _tasks = [];
    private readonly List<TaskGroupBuilder> _groups = [];

    internal TaskGroupBuilder(DagBuilder dag, string groupId, TaskGroupBuilder? parent, TaskArguments defaults)
        : base(dag)
    {
        GroupId = groupId;
        Parent = parent;
        Defaults = defaults;
    }

    /// <summary>The group's id, prefixed with its parent groups' ids.</summary>
    public string GroupId { get; }

    /// <summary>The enclosing group, if any.</summary>
    public TaskGroupBuilder? Parent { get; }

    /// <summary>The default arguments of the group's tasks (a copy of the enclosing defaults).</summary>
    public TaskArguments Defaults { get; }

    /// <inheritdoc cref="DagBuilder.Task(string, Action{TaskContext}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task(string taskId, Action<TaskContext> action, Action<TaskArguments>? configure = null) =>
        Add(taskId, DelegateOperator.From(action), configure);

    /// <inheritdoc cref="DagBuilder.Task{T}(string, Func{TaskContext, T}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task<T>(string taskId, Func<TaskContext, T> function, Action<TaskArguments>? configure = null) =>
        Add(taskId, DelegateOperator.From(function), configure);

    /// <inheritdoc cref="DagBuilder.Task(string, Func{TaskContext, System.Threading.Tasks.Task}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task(string taskId, Func<TaskContext, Task> function, Action<TaskArguments>? configure = null) =>
        Add(taskId, DelegateOperator.From(function), configure);

    /// <inheritdoc cref="DagBuilder.Task{T}(string, Func{TaskContext, Task{T}}, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task<T>(string taskId, Func<TaskContext, Task<T>> function, Action<TaskArguments>? configure = null) =>
        Add(taskId, DelegateOperator.From(function), configure);

    /// <inheritdoc cref="DagBuilder.Task(string, TaskOperator, Action{TaskArguments}?)"/>
    public DagTaskBuilder Task(string taskId, TaskOperator op, Action<TaskArguments>? configure = null) => Add(taskId, op, configure);

    /// <summary>Adds a nested group.</summary>
    /// <param name="groupId">The nested group's id (prefixed with this group's id).</param>
    /// <param name="build">Adds the nested group's tasks and their dependencies.</param>
    /// <param name="configure">Changes the nested group's default arguments.</param>
    /// <returns>The nested group.</returns>
    public TaskGroupBuilder Group(string groupId, Action<TaskGroupBuilder> build, Action<TaskArguments>? configure = null)
    {
        var group = Dag.AddGroup(groupId, this, build, configure);
        _groups.Add(group);
        return group;
    }

    /// <inheritdoc/>
    public override string ToString() => GroupId;

    internal override IEnumerable<DagTaskBuilder> Tasks() => _tasks.Concat(_groups.SelectMany(g => g.Tasks()));

    private DagTaskBuilder Add(string taskId, TaskOperator op, Action<TaskArguments>? configure)
    {
        var task = Dag.AddTask(taskId, this, op, Defaults, configure);
        _tasks.Add(task);
        return task;
    }
}
