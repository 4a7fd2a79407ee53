namespace Mlops.Pipelines;

/// <summary>
/// Something that dependencies can be drawn to and from while a DAG is being built: a task, a task group or a set
/// of them. Written like Airflow: <c>_ = t1 &gt;&gt; t2 &gt;&gt; t3;</c>, <c>t1 &gt;&gt; new[] { t2, t3 }</c> (fan-out),
/// <c>new[] { t2, t3 } &gt;&gt; t4</c> (fan-in), <c>t2 &lt;&lt; t1</c>, or with <see cref="SetDownstream"/>.
/// </summary>
public abstract class TaskFlowNode
{
    private protected TaskFlowNode(DagBuilder dag)
    {
        Dag = dag;
    }

    /// <summary>The DAG being built that this node belongs to.</summary>
    public DagBuilder Dag { get; }

    /// <summary>Makes <paramref name="upstream"/> run before <paramref name="downstream"/>.</summary>
    /// <returns><paramref name="downstream"/>, so that chains read left to right.</returns>
    public static TaskFlowNode operator >>(TaskFlowNode upstream, TaskFlowNode downstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        upstream.SetDownstream(downstream);
        return downstream;
    }

    /// <summary>Fan-out: makes <paramref name="upstream"/> run before each of <paramref name="downstream"/>.</summary>
    /// <returns>The downstream nodes as one set, so that a fan-in can follow (<c>t1 &gt;&gt; new[] { a, b } &gt;&gt; t4</c>).</returns>
    public static TaskSet operator >>(TaskFlowNode upstream, IEnumerable<TaskFlowNode> downstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var set = TaskSet.Of(upstream.Dag, downstream);
        upstream.SetDownstream(set);
        return set;
    }

    /// <summary>Makes <paramref name="upstream"/> run before <paramref name="downstream"/> (written right to left).</summary>
    /// <returns><paramref name="upstream"/>, so that chains read right to left.</returns>
    public static TaskFlowNode operator <<(TaskFlowNode downstream, TaskFlowNode upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        upstream.SetDownstream(downstream);
        return upstream;
    }

    /// <summary>Fan-in written right to left: makes each of <paramref name="upstream"/> run before <paramref name="downstream"/>.</summary>
    /// <returns>The upstream nodes as one set.</returns>
    public static TaskSet operator <<(TaskFlowNode downstream, IEnumerable<TaskFlowNode> upstream)
    {
        ArgumentNullException.ThrowIfNull(downstream);
        var set = TaskSet.Of(downstream.Dag, upstream);
        set.SetDownstream(downstream);
        return set;
    }

    /// <summary>Makes this node run before <paramref name="downstream"/> (Airflow's <c>set_downstream</c>).</summary>
    /// <returns>This node.</returns>
    public TaskFlowNode SetDownstream(TaskFlowNode downstream)
    {
        ArgumentNullException.ThrowIfNull(downstream);
        Dag.AddDependency(this, downstream);
        return this;
    }

    /// <summary>Makes this node run after <paramref name="upstream"/> (Airflow's <c>set_upstream</c>).</summary>
    /// <returns>This node.</returns>
    public TaskFlowNode SetUpstream(TaskFlowNode upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        Dag.AddDependency(upstream, this);
        return this;
    }

    /// <summary>The tasks this node stands for, at any depth.</summary>
    internal abstract IEnumerable<DagTaskBuilder> Tasks();
}

/// <summary>Fan-in from a list: <c>new[] { a, b } &gt;&gt; c</c> and <c>c &lt;&lt; new[] { a, b }</c> read like Airflow's lists.</summary>
public static class TaskFlowListOperators
{
    extension(IEnumerable<TaskFlowNode> nodes)
    {
        /// <summary>Fan-in: makes each of <paramref name="upstream"/> run before <paramref name="downstream"/>.</summary>
        /// <returns><paramref name="downstream"/>.</returns>
        public static TaskFlowNode operator >>(IEnumerable<TaskFlowNode> upstream, TaskFlowNode downstream)
        {
            ArgumentNullException.ThrowIfNull(downstream);
            TaskSet.Of(downstream.Dag, upstream).SetDownstream(downstream);
            return downstream;
        }

        /// <summary>Fan-out written right to left: makes <paramref name="upstream"/> run before each of <paramref name="downstream"/>.</summary>
        /// <returns><paramref name="upstream"/>.</returns>
        public static TaskFlowNode operator <<(IEnumerable<TaskFlowNode> downstream, TaskFlowNode upstream)
        {
            ArgumentNullException.ThrowIfNull(upstream);
            upstream.SetDownstream(TaskSet.Of(upstream.Dag, downstream));
            return upstream;
        }
    }
}
