namespace Mlops.Pipelines;

/// <summary>A task added to a <see cref="DagBuilder"/>; draw dependencies with <c>&gt;&gt;</c> and <c>&lt;&lt;</c>.</summary>
public sealed class DagTaskBuilder : TaskFlowNode
{
    internal DagTaskBuilder(DagBuilder dag, string taskId, TaskGroupBuilder? group, TaskOperator op, TaskArguments arguments)
        : base(dag)
    {
        TaskId = taskId;
        Group = group;
        Operator = op;
        Arguments = arguments;
    }

    /// <summary>The task's id, prefixed with its group ids (<c>group.task</c>).</summary>
    public string TaskId { get; }

    /// <summary>The innermost group the task is in, if any.</summary>
    public TaskGroupBuilder? Group { get; }

    /// <summary>What the task does.</summary>
    public TaskOperator Operator { get; }

    /// <summary>The task's arguments (a copy of the DAG's and group's defaults, changed by the task's configuration); may be changed until the DAG is built.</summary>
    public TaskArguments Arguments { get; }

    internal int Order { get; set; }

    /// <inheritdoc/>
    public override string ToString() => TaskId;

    internal override IEnumerable<DagTaskBuilder> Tasks()
    {
        yield return this;
    }
}
