using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

public partial class SqlitePipelineStore
{
    private const string RunColumns = "dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end, state, queued_at, start_date, end_date, conf, note, owner";
    private const string TaskInstanceColumns = "dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date, next_attempt_at, first_start_date, reschedules, pool, error";

    /// <inheritdoc/>
    public DagRunRecord? GetDagRun(string dagId, string runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return ReadRun(dagId, runId);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<DagRunRecord> GetDagRuns(DagRunQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = _connection.CreateCommand();
            var sql = new StringBuilder($"SELECT {RunColumns} FROM dag_run WHERE 1 = 1");
            if (query.DagId is not null)
            {
                sql.Append(" AND dag_id = $dag");
                command.Parameters.AddWithValue("$dag", query.DagId);
            }

            if (query.States is { Count: > 0 } states)
            {
                sql.Append(" AND state IN (").AppendJoin(", ", states.Select(s => $"'{StoreCodes.Name(s)}'")).Append(')');
            }

            if (query.RunType is { } type)
            {
                sql.Append(" AND run_type = $type");
                command.Parameters.AddWithValue("$type", StoreCodes.Name(type));
            }

            if (query.LogicalDateFrom is { } from)
            {
                sql.Append(" AND logical_date >= $from");
                command.Parameters.AddWithValue("$from", from.UtcTicks);
            }

            if (query.LogicalDateTo is { } to)
            {
                sql.Append(" AND logical_date <= $to");
                command.Parameters.AddWithValue("$to", to.UtcTicks);
            }

            sql.Append(" ORDER BY logical_date DESC, dag_id LIMIT $limit;");
            command.Parameters.AddWithValue("$limit", query.Limit);
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            var runs = new List<DagRunRecord>();
            while (reader.Read())
            {
                runs.Add(ReadRun(reader));
            }

            return runs;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskInstanceRecord> GetTaskInstances(string dagId, string runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = Command($"SELECT {TaskInstanceColumns} FROM task_instance WHERE dag_id = $dag AND run_id = $run ORDER BY task_id;");
            command.Parameters.AddWithValue("$dag", dagId);
            command.Parameters.AddWithValue("$run", runId);
            using var reader = command.ExecuteReader();
            var result = new List<TaskInstanceRecord>();
            while (reader.Read())
            {
                result.Add(ReadTaskInstance(reader));
            }

            return result;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskAttemptRecord> GetTaskAttempts(string dagId, string runId, string? taskId = null)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = Command(
                "SELECT dag_id, run_id, task_id, try_number, state, start_date, end_date, error FROM task_attempt WHERE dag_id = $dag AND run_id = $run"
                + (taskId is null ? string.Empty : " AND task_id = $task") + " ORDER BY task_id, try_number;");
            command.Parameters.AddWithValue("$dag", dagId);
            command.Parameters.AddWithValue("$run", runId);
            if (taskId is not null)
            {
                command.Parameters.AddWithValue("$task", taskId);
            }

            using var reader = command.ExecuteReader();
            var result = new List<TaskAttemptRecord>();
            while (reader.Read())
            {
                result.Add(new TaskAttemptRecord
                {
                    DagId = reader.GetString(0),
                    RunId = reader.GetString(1),
                    TaskId = reader.GetString(2),
                    TryNumber = reader.GetInt32(3),
                    State = StoreCodes.TaskState(reader.GetString(4)),
                    StartDate = Date(reader, 5)!.Value,
                    EndDate = Date(reader, 6),
                    Error = reader.IsDBNull(7) ? null : reader.GetString(7),
                });
            }

            return result;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<TaskLogEntry> GetTaskLog(string dagId, string runId, string taskId, int tryNumber)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = Command(
                "SELECT seq, at, level, message FROM task_log WHERE dag_id = $dag AND run_id = $run AND task_id = $task AND try_number = $try ORDER BY seq;");
            command.Parameters.AddWithValue("$dag", dagId);
            command.Parameters.AddWithValue("$run", runId);
            command.Parameters.AddWithValue("$task", taskId);
            command.Parameters.AddWithValue("$try", tryNumber);
            using var reader = command.ExecuteReader();
            var result = new List<TaskLogEntry>();
            while (reader.Read())
            {
                result.Add(new TaskLogEntry
                {
                    DagId = dagId,
                    RunId = runId,
                    TaskId = taskId,
                    TryNumber = tryNumber,
                    Sequence = reader.GetInt32(0),
                    Timestamp = Date(reader, 1)!.Value,
                    Level = (LogLevel)reader.GetInt32(2),
                    Message = reader.GetString(3),
                });
            }

            return result;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<XcomRecord> GetXcoms(string dagId, string runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var command = Command("SELECT task_id, key, value FROM xcom WHERE dag_id = $dag AND run_id = $run ORDER BY task_id, key;");
            command.Parameters.AddWithValue("$dag", dagId);
            command.Parameters.AddWithValue("$run", runId);
            using var reader = command.ExecuteReader();
            var result = new List<XcomRecord>();
            while (reader.Read())
            {
                result.Add(new XcomRecord(dagId, runId, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }

            return result;
        }
    }

    /// <inheritdoc/>
    public (DagRunRecord Run, TaskInstanceRecord? TaskInstance)? GetPreviousTaskInstance(string dagId, string taskId, DateTimeOffset logicalDate)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            DagRunRecord previous;
            using (var command = Command($"SELECT {RunColumns} FROM dag_run WHERE dag_id = $dag AND logical_date < $date ORDER BY logical_date DESC LIMIT 1;"))
            {
                command.Parameters.AddWithValue("$dag", dagId);
                command.Parameters.AddWithValue("$date", logicalDate.UtcTicks);
                using var reader = command.ExecuteReader();
                if (!reader.Read())
                {
                    return null;
                }

                previous = ReadRun(reader);
            }

            using var ti = Command($"SELECT {TaskInstanceColumns} FROM task_instance WHERE dag_id = $dag AND run_id = $run AND task_id = $task;");
            ti.Parameters.AddWithValue("$dag", dagId);
            ti.Parameters.AddWithValue("$run", previous.RunId);
            ti.Parameters.AddWithValue("$task", taskId);
            using var tiReader = ti.ExecuteReader();
            return (previous, tiReader.Read() ? ReadTaskInstance(tiReader) : null);
        }
    }

    private DagRunRecord? ReadRun(string dagId, string runId)
    {
        using var command = Command($"SELECT {RunColumns} FROM dag_run WHERE dag_id = $dag AND run_id = $run;");
        command.Parameters.AddWithValue("$dag", dagId);
        command.Parameters.AddWithValue("$run", runId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    private static DagRunRecord ReadRun(SqliteDataReader r) => new()
    {
        DagId = r.GetString(0),
        RunId = r.GetString(1),
        RunType = StoreCodes.RunType(r.GetString(2)),
        LogicalDate = Date(r, 3)!.Value,
        DataIntervalStart = Date(r, 4)!.Value,
        DataIntervalEnd = Date(r, 5)!.Value,
        State = StoreCodes.RunState(r.GetString(6)),
        QueuedAt = Date(r, 7)!.Value,
        StartDate = Date(r, 8),
        EndDate = Date(r, 9),
        Conf = r.IsDBNull(10) ? null : r.GetString(10),
        Note = r.IsDBNull(11) ? null : r.GetString(11),
        Owner = r.IsDBNull(12) ? null : r.GetString(12),
    };

    private static TaskInstanceRecord ReadTaskInstance(SqliteDataReader r) => new()
    {
        DagId = r.GetString(0),
        RunId = r.GetString(1),
        TaskId = r.GetString(2),
        State = StoreCodes.TaskState(r.GetString(3)),
        TryNumber = r.GetInt32(4),
        MaxTries = r.GetInt32(5),
        StartDate = Date(r, 6),
        EndDate = Date(r, 7),
        NextAttemptAt = Date(r, 8),
        FirstStartDate = Date(r, 9),
        Reschedules = r.GetInt32(10),
        Pool = r.GetString(11),
        Error = r.IsDBNull(12) ? null : r.GetString(12),
    };

    private static DateTimeOffset? Date(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    // Async twins. SQLite does the work in-process on the caller's thread (Microsoft.Data.Sqlite's own async methods
    // complete synchronously too), so these run the query and return a completed task: the store's real
    // implementation, not a hop to the thread pool.

    /// <inheritdoc/>
    public Task<DagRunRecord?> GetDagRunAsync(string dagId, string runId, CancellationToken cancellationToken = default) =>
        Completed(() => GetDagRun(dagId, runId), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<DagRunRecord>> GetDagRunsAsync(DagRunQuery query, CancellationToken cancellationToken = default) =>
        Completed(() => GetDagRuns(query), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<TaskInstanceRecord>> GetTaskInstancesAsync(string dagId, string runId, CancellationToken cancellationToken = default) =>
        Completed(() => GetTaskInstances(dagId, runId), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<TaskAttemptRecord>> GetTaskAttemptsAsync(string dagId, string runId, string? taskId = null, CancellationToken cancellationToken = default) =>
        Completed(() => GetTaskAttempts(dagId, runId, taskId), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<TaskLogEntry>> GetTaskLogAsync(string dagId, string runId, string taskId, int tryNumber, CancellationToken cancellationToken = default) =>
        Completed(() => GetTaskLog(dagId, runId, taskId, tryNumber), cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<XcomRecord>> GetXcomsAsync(string dagId, string runId, CancellationToken cancellationToken = default) =>
        Completed(() => GetXcoms(dagId, runId), cancellationToken);

    private static Task<T> Completed<T>(Func<T> query, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        try
        {
            return Task.FromResult(query());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}
