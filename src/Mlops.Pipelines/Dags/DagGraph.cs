namespace Mlops.Pipelines;

/// <summary>Turns the builder's dependencies into task-to-task edges and orders the tasks, detecting cycles without recursion.</summary>
internal static class DagGraph
{
    /// <summary>Expands node-level dependencies (tasks, sets, groups) into distinct task-level edges, by task order index.</summary>
    public static List<(int Up, int Down)> ResolveEdges(
        DagBuilder dag, List<DagTaskBuilder> tasks, List<(TaskFlowNode Upstream, TaskFlowNode Downstream)> nodeEdges, List<(int, int)> idEdges)
    {
        var seen = new HashSet<long>();
        var edges = new List<(int, int)>(nodeEdges.Count + idEdges.Count);
        var groups = new GroupEnds(nodeEdges);
        foreach (var (upNode, downNode) in nodeEdges)
        {
            foreach (var up in groups.Expand(upNode, leaves: true))
            {
                foreach (var down in groups.Expand(downNode, leaves: false))
                {
                    Add(up.Order, down.Order);
                }
            }
        }

        foreach (var (up, down) in idEdges)
        {
            Add(up, down);
        }

        return edges;

        void Add(int up, int down)
        {
            if (up == down)
            {
                var id = tasks[up].TaskId;
                throw new DagCycleException($"DAG '{dag.DagId}' has a cycle: task '{id}' depends on itself.", dag.DagId, [id]);
            }

            if (seen.Add(((long)up << 32) | (uint)down))
            {
                edges.Add((up, down));
            }
        }
    }

    /// <summary>Kahn's algorithm, stable in the order tasks were added; on a cycle, walks it to name its tasks.</summary>
    public static int[] TopologicalOrder(string dagId, List<DagTaskBuilder> tasks, List<(int Up, int Down)> edges)
    {
        var n = tasks.Count;
        var downstream = Adjacency(n, edges, up: false);
        var indegree = new int[n];
        foreach (var (_, down) in edges)
        {
            indegree[down]++;
        }

        var order = new int[n];
        var count = 0;
        var queue = new Queue<int>();
        for (var i = 0; i < n; i++)
        {
            if (indegree[i] == 0)
            {
                queue.Enqueue(i);
            }
        }

        while (queue.TryDequeue(out var node))
        {
            order[count++] = node;
            foreach (var next in downstream[node])
            {
                if (--indegree[next] == 0)
                {
                    queue.Enqueue(next);
                }
            }
        }

        if (count < n)
        {
            ThrowCycle(dagId, tasks, edges, indegree);
        }

        return order;
    }

    public static int[][] Adjacency(int n, List<(int Up, int Down)> edges, bool up)
    {
        var counts = new int[n];
        foreach (var (u, d) in edges)
        {
            counts[up ? d : u]++;
        }

        var result = new int[n][];
        for (var i = 0; i < n; i++)
        {
            result[i] = counts[i] == 0 ? [] : new int[counts[i]];
            counts[i] = 0;
        }

        foreach (var (u, d) in edges)
        {
            var (from, to) = up ? (d, u) : (u, d);
            result[from][counts[from]++] = to;
        }

        return result;
    }

    private static void ThrowCycle(string dagId, List<DagTaskBuilder> tasks, List<(int Up, int Down)> edges, int[] indegree)
    {
        // Every task left with indegree > 0 has an upstream task that is also left, so walking upstream from any
        // of them must come back to a task already seen: that closes a cycle.
        var upstream = Adjacency(tasks.Count, edges, up: true);
        var start = Array.FindIndex(indegree, d => d > 0);
        var position = new Dictionary<int, int>();
        var path = new List<int>();
        var node = start;
        while (!position.ContainsKey(node))
        {
            position[node] = path.Count;
            path.Add(node);
            node = upstream[node].First(u => indegree[u] > 0);
        }

        var cycle = path.Skip(position[node]).Reverse().Select(i => tasks[i].TaskId).ToArray();
        var shown = cycle.Length <= 8 ? string.Join(" >> ", cycle) : string.Join(" >> ", cycle.Take(4)) + $" >> ... ({cycle.Length - 5} more) >> " + cycle[^1];
        throw new DagCycleException(
            $"DAG '{dagId}' has a cycle through task '{cycle[0]}' ({cycle.Length} tasks): {shown} >> {cycle[0]}. Remove one of these dependencies.",
            dagId,
            cycle);
    }

    /// <summary>Roots and leaves of task groups, from the dependencies drawn inside each group.</summary>
    private sealed class GroupEnds(List<(TaskFlowNode Upstream, TaskFlowNode Downstream)> edges)
    {
        private readonly Dictionary<(TaskGroupBuilder, bool), DagTaskBuilder[]> _cache = [];

        public IEnumerable<DagTaskBuilder> Expand(TaskFlowNode node, bool leaves) => node switch
        {
            DagTaskBuilder task => [task],
            TaskSet set => set.Members.SelectMany(m => Expand(m, leaves)).Distinct(),
            TaskGroupBuilder group => Ends(group, leaves),
            _ => throw new InvalidOperationException($"Unknown node type {node.GetType()}."),
        };

        private DagTaskBuilder[] Ends(TaskGroupBuilder group, bool leaves)
        {
            if (_cache.TryGetValue((group, leaves), out var cached))
            {
                return cached;
            }

            var members = group.Tasks().ToHashSet();
            var excluded = new HashSet<DagTaskBuilder>();
            foreach (var (up, down) in edges)
            {
                if (IsInside(up, group) && IsInside(down, group) && up.Tasks().All(members.Contains) && down.Tasks().All(members.Contains))
                {
                    excluded.UnionWith(leaves ? Expand(up, leaves: true) : Expand(down, leaves: false));
                }
            }

            var ends = members.Where(t => !excluded.Contains(t)).OrderBy(t => t.Order).ToArray();
            _cache[(group, leaves)] = ends;
            return ends;
        }

        // A node drawn inside a group: a member task, a set of them, or a strictly nested group.
        private static bool IsInside(TaskFlowNode node, TaskGroupBuilder group) => node switch
        {
            TaskGroupBuilder g => g != group && IsAncestor(group, g),
            TaskSet set => set.Members.All(m => IsInside(m, group)),
            _ => true,
        };

        private static bool IsAncestor(TaskGroupBuilder ancestor, TaskGroupBuilder group)
        {
            for (var g = group.Parent; g is not null; g = g.Parent)
            {
                if (g == ancestor)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
