namespace Mlops.Pipelines;

/// <summary>
/// Several tasks or groups treated as one end of a dependency: everything upstream of the set is upstream of each
/// member, and each member is upstream of everything downstream of the set.
/// </summary>
public sealed class TaskSet : TaskFlowNode
{
    private TaskSet(DagBuilder dag, IReadOnlyList<TaskFlowNode> members)
        : base(dag)
    {
        Members = members;
    }

    /// <summary>The tasks and groups in the set.</summary>
    public IReadOnlyList<TaskFlowNode> Members { get; }

    /// <summary>Groups tasks or task groups of one DAG into a set.</summary>
    /// <param name="nodes">At least one task or group.</param>
    /// <returns>The set.</returns>
    public static TaskSet Of(params TaskFlowNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length == 0)
        {
            throw new ArgumentException("A task set needs at least one task or group.", nameof(nodes));
        }

        return Of(nodes[0].Dag, nodes);
    }

    internal static TaskSet Of(DagBuilder dag, IEnumerable<TaskFlowNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var members = nodes.ToArray();
        foreach (var member in members)
        {
            ArgumentNullException.ThrowIfNull(member, nameof(nodes));
            if (!ReferenceEquals(member.Dag, dag))
            {
                throw new DagValidationException(
                    $"DAG '{dag.DagId}': a dependency mixes tasks of DAG '{member.Dag.DagId}'; dependencies can only join tasks of one DAG.", dag.DagId);
            }
        }

        return new TaskSet(dag, members);
    }

    internal override IEnumerable<DagTaskBuilder> Tasks() => Members.SelectMany(m => m.Tasks());
}
