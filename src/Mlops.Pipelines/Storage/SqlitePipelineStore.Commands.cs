using Microsoft.Data.Sqlite;

namespace Mlops.Pipelines;

public partial class SqlitePipelineStore
{
    /// <summary>The write statements, prepared once and reused with new parameter values (the hot path of the executor).</summary>
    private sealed class PreparedCommands : IDisposable
    {
        private readonly SqliteCommand _run;
        private readonly SqliteCommand _taskInstance;
        private readonly SqliteCommand _attempt;
        private readonly SqliteCommand _log;
        private readonly SqliteCommand _xcom;

        public PreparedCommands(SqliteConnection connection)
        {
            _run = Prepare(connection, """
                INSERT OR REPLACE INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end,
                    state, queued_at, start_date, end_date, conf, note, owner)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
                """, 13);
            _taskInstance = Prepare(connection, """
                INSERT OR REPLACE INTO task_instance (dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date,
                    next_attempt_at, first_start_date, reschedules, pool, error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
                """, 13);
            _attempt = Prepare(connection, """
                INSERT OR REPLACE INTO task_attempt (dag_id, run_id, task_id, try_number, state, start_date, end_date, error)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
                """, 8);
            _log = Prepare(connection, """
                INSERT OR REPLACE INTO task_log (dag_id, run_id, task_id, try_number, seq, at, level, message)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
                """, 8);
            _xcom = Prepare(connection, "INSERT OR REPLACE INTO xcom (dag_id, run_id, task_id, key, value) VALUES ($1, $2, $3, $4, $5);", 5);
        }

        /// <summary>Microsoft.Data.Sqlite requires each command to name the open transaction.</summary>
        public void Enlist(SqliteTransaction transaction)
        {
            _run.Transaction = transaction;
            _taskInstance.Transaction = transaction;
            _attempt.Transaction = transaction;
            _log.Transaction = transaction;
            _xcom.Transaction = transaction;
        }

        public void UpsertRun(DagRunRecord r) => Run(_run, r.DagId, r.RunId, StoreCodes.Name(r.RunType), r.LogicalDate.UtcTicks,
            r.DataIntervalStart.UtcTicks, r.DataIntervalEnd.UtcTicks, StoreCodes.Name(r.State), r.QueuedAt.UtcTicks,
            r.StartDate?.UtcTicks, r.EndDate?.UtcTicks, r.Conf, r.Note, r.Owner);

        public void UpsertTaskInstance(TaskInstanceRecord t) => Run(_taskInstance, t.DagId, t.RunId, t.TaskId, t.State.ToAirflowName(),
            t.TryNumber, t.MaxTries, t.StartDate?.UtcTicks, t.EndDate?.UtcTicks, t.NextAttemptAt?.UtcTicks, t.FirstStartDate?.UtcTicks,
            t.Reschedules, t.Pool, t.Error);

        public void UpsertAttempt(TaskAttemptRecord a) => Run(_attempt, a.DagId, a.RunId, a.TaskId, a.TryNumber, a.State.ToAirflowName(),
            a.StartDate.UtcTicks, a.EndDate?.UtcTicks, a.Error);

        public void InsertLog(TaskLogEntry l) => Run(_log, l.DagId, l.RunId, l.TaskId, l.TryNumber, l.Sequence, l.Timestamp.UtcTicks, (int)l.Level, l.Message);

        public void UpsertXcom(XcomRecord x) => Run(_xcom, x.DagId, x.RunId, x.TaskId, x.Key, x.Json);

        public void Dispose()
        {
            _run.Dispose();
            _taskInstance.Dispose();
            _attempt.Dispose();
            _log.Dispose();
            _xcom.Dispose();
        }

        private static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 1; i <= parameters; i++)
            {
                command.Parameters.Add(new SqliteParameter("$" + i, null));
            }

            command.Prepare();
            return command;
        }

        private static void Run(SqliteCommand command, params ReadOnlySpan<object?> values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }
    }
}

/// <summary>Text codes of enums as stored (Airflow's names), so the database reads well in any SQLite tool.</summary>
internal static class StoreCodes
{
    private static readonly Dictionary<string, TaskInstanceState> TaskStates =
        Enum.GetValues<TaskInstanceState>().ToDictionary(s => s.ToAirflowName(), StringComparer.Ordinal);

    public static string Name(DagRunState state) => state switch
    {
        DagRunState.Queued => "queued",
        DagRunState.Running => "running",
        DagRunState.Success => "success",
        DagRunState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Name(DagRunType type) => type switch
    {
        DagRunType.Scheduled => "scheduled",
        DagRunType.Manual => "manual",
        DagRunType.Backfill => "backfill",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static DagRunState RunState(string name) => name switch
    {
        "queued" => DagRunState.Queued,
        "running" => DagRunState.Running,
        "success" => DagRunState.Success,
        "failed" => DagRunState.Failed,
        _ => throw new PipelineException($"Unknown DAG run state '{name}' in the pipeline database."),
    };

    public static DagRunType RunType(string name) => name switch
    {
        "scheduled" => DagRunType.Scheduled,
        "manual" => DagRunType.Manual,
        "backfill" => DagRunType.Backfill,
        _ => throw new PipelineException($"Unknown DAG run type '{name}' in the pipeline database."),
    };

    public static TaskInstanceState TaskState(string name) => TaskStates.TryGetValue(name, out var state) ? state
        : throw new PipelineException($"Unknown task instance state '{name}' in the pipeline database.");
}
