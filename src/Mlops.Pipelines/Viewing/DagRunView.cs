using System.Globalization;
using System.Text;

namespace Mlops.Pipelines;

/// <summary>Renders a DAG run as text for a console: a header, then one line per task (indented under its groups, in dependency order) with state, tries, duration and the latest error or reason.</summary>
public static class DagRunView
{
    /// <summary>Renders a run from the store.</summary>
    /// <param name="dag">The run's DAG.</param>
    /// <param name="store">Where the run is stored.</param>
    /// <param name="runId">The run.</param>
    /// <returns>The text, lines ending with a newline.</returns>
    /// <exception cref="DagRunNotFoundException">No such run.</exception>
    public static string Render(Dag dag, IPipelineStore store, string runId)
    {
        ArgumentNullException.ThrowIfNull(dag);
        ArgumentNullException.ThrowIfNull(store);
        var run = store.GetDagRun(dag.DagId, runId) ?? throw new DagRunNotFoundException($"DAG '{dag.DagId}' has no run '{runId}'.", dag.DagId, runId);
        return Render(dag, run, store.GetTaskInstances(dag.DagId, runId));
    }

    /// <summary>Renders a run.</summary>
    /// <param name="dag">The run's DAG.</param>
    /// <param name="run">The run.</param>
    /// <param name="taskInstances">Its task instances.</param>
    /// <returns>The text, lines ending with a newline.</returns>
    public static string Render(Dag dag, DagRunRecord run, IReadOnlyList<TaskInstanceRecord> taskInstances)
    {
        ArgumentNullException.ThrowIfNull(dag);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(taskInstances);
        var byId = taskInstances.ToDictionary(t => t.TaskId, StringComparer.Ordinal);
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.Append(inv, $"DAG {dag.DagId}  run {run.RunId}  {Symbol(run.State)} {run.State.ToString().ToLowerInvariant()}");
        if (run.Duration is { } duration)
        {
            text.Append(inv, $"  in {Format(duration)}");
        }

        text.AppendLine();
        text.Append(inv, $"  logical date {run.LogicalDate:yyyy-MM-dd HH:mm:ss}Z, data interval {run.DataIntervalStart:yyyy-MM-dd HH:mm:ss}Z .. {run.DataIntervalEnd:yyyy-MM-dd HH:mm:ss}Z");
        if (dag.Schedule is not null)
        {
            text.Append(inv, $", schedule {dag.Schedule.Description}");
        }

        text.AppendLine();
        if (run.Note is not null)
        {
            text.Append("  note: ").AppendLine(run.Note);
        }

        var width = Math.Max(4, dag.Tasks.Max(t => Label(t).Length + (2 * Depth(t.GroupId))));
        text.Append("  ").Append("task".PadRight(width)).AppendLine("  state                tries  duration  details");
        var shownGroups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in dag.Tasks.OrderBy(t => t.GroupId ?? string.Empty, StringComparer.Ordinal).ThenBy(t => t.Index))
        {
            ShowGroups(text, task.GroupId, shownGroups);
            var ti = byId.GetValueOrDefault(task.TaskId);
            var state = ti?.State ?? TaskInstanceState.None;
            var indent = new string(' ', 2 * Depth(task.GroupId));
            text.Append("  ").Append((indent + Label(task)).PadRight(width)).Append("  ");
            text.Append($"{Symbol(state)} {state.ToAirflowName()}".PadRight(21));
            text.Append(string.Create(inv, $"{ti?.TryNumber ?? 0}/{ti?.MaxTries ?? task.MaxTries}").PadLeft(5));
            text.Append((ti?.Duration is { } d ? Format(d) : "-").PadLeft(10));
            if (ti?.Error is { } error)
            {
                text.Append("  ").Append(FirstLine(error));
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static void ShowGroups(StringBuilder text, string? groupId, HashSet<string> shown)
    {
        if (groupId is null || shown.Contains(groupId))
        {
            return;
        }

        var dot = groupId.LastIndexOf('.');
        ShowGroups(text, dot < 0 ? null : groupId[..dot], shown);
        shown.Add(groupId);
        text.Append("  ").Append(new string(' ', 2 * Depth(dot < 0 ? null : groupId[..dot]))).Append('[').Append(dot < 0 ? groupId : groupId[(dot + 1)..]).AppendLine("]");
    }

    private static string Label(DagTask task) => task.GroupId is null ? task.TaskId : task.TaskId[(task.GroupId.Length + 1)..];

    private static int Depth(string? groupId) => groupId is null ? 0 : groupId.Count(c => c == '.') + 1;

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? text : text[..end];
        return line.Length > 120 ? line[..117] + "..." : line;
    }

    private static string Format(TimeSpan d) => d.TotalSeconds < 60
        ? d.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : d.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);

    private static char Symbol(DagRunState state) => state switch
    {
        DagRunState.Success => '✔',
        DagRunState.Failed => '✘',
        DagRunState.Running => '▶',
        _ => '…',
    };

    private static char Symbol(TaskInstanceState state) => state switch
    {
        TaskInstanceState.Success => '✔',
        TaskInstanceState.Failed => '✘',
        TaskInstanceState.UpstreamFailed => '⊘',
        TaskInstanceState.Skipped => '↷',
        TaskInstanceState.Running => '▶',
        TaskInstanceState.UpForRetry or TaskInstanceState.UpForReschedule => '↻',
        TaskInstanceState.Removed => '-',
        _ => '·',
    };
}
