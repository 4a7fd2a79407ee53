using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Mlops.Tracking.Stores;

public partial class SqliteTrackingStore
{
    private const string RunColumns = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage";

    /// <inheritdoc/>
    public Task<Run> CreateRunAsync(string experimentId, string? userId, long startTime, string? runName, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        TrackingValidation.ValidateRunName(runName);
        TrackingValidation.ValidateUserId(userId);
        var tagList = tags ?? [];
        foreach (var tag in tagList)
        {
            TrackingValidation.ValidateTag(tag);
        }

        var name = runName ?? tagList.FirstOrDefault(t => t.Key == MlflowTags.RunName).Value ?? RunNames.Generate();
        var runId = Guid.NewGuid().ToString("N");
        InTransaction(() =>
        {
            using var experiment = With(Command("SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = @id"), "@id", id);
            string location;
            using (var reader = experiment.ExecuteReader())
            {
                if (!reader.Read())
                {
                    throw MlflowException.NotFound($"No Experiment with id={experimentId} exists");
                }

                if (reader.GetString(1) != "active")
                {
                    throw MlflowException.InvalidParameter($"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
                }

                location = reader.GetString(0);
            }

            using var insert = Command(
                "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage) " +
                "VALUES (@id, @name, @exp, @user, 'RUNNING', @start, NULL, @uri, 'active')");
            insert.Parameters.AddWithValue("@id", runId);
            insert.Parameters.AddWithValue("@name", name);
            insert.Parameters.AddWithValue("@exp", id);
            insert.Parameters.AddWithValue("@user", userId ?? "");
            insert.Parameters.AddWithValue("@start", startTime);
            insert.Parameters.AddWithValue("@uri", $"{location}/{runId}/artifacts");
            insert.ExecuteNonQuery();
            var allTags = tagList.Where(t => t.Key != MlflowTags.RunName).Append(new RunTag(MlflowTags.RunName, name)).ToList();
            if (!string.IsNullOrEmpty(userId) && allTags.All(t => t.Key != MlflowTags.User))
            {
                allTags.Add(new RunTag(MlflowTags.User, userId));
            }

            WriteTags(runId, allTags);
            return 0;
        });
        return GetRunAsync(runId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Run> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        return Task.FromResult(Read(() => LoadRuns([runId]).FirstOrDefault()) ?? throw RunNotFound(runId));
    }

    /// <inheritdoc/>
    public Task<RunInfo> UpdateRunInfoAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        TrackingValidation.ValidateRunName(runName);
        InTransaction(() =>
        {
            RequireActiveRun(runId);
            using var update = Command(
                "UPDATE runs SET status = COALESCE(@status, status), end_time = COALESCE(@end, end_time), name = COALESCE(@name, name) WHERE run_uuid = @id");
            update.Parameters.AddWithValue("@status", (object?)status?.ToMlflow() ?? DBNull.Value);
            update.Parameters.AddWithValue("@end", (object?)endTime ?? DBNull.Value);
            update.Parameters.AddWithValue("@name", (object?)runName ?? DBNull.Value);
            update.Parameters.AddWithValue("@id", runId);
            update.ExecuteNonQuery();
            if (runName is not null)
            {
                WriteTags(runId, [new RunTag(MlflowTags.RunName, runName)]);
            }

            return 0;
        });
        return GetRunAsync(runId, cancellationToken).ContinueWith(t => t.Result.Info, TaskScheduler.Default);
    }

    /// <inheritdoc/>
    public Task DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => SetRunStage(runId, deleted: true);

    /// <inheritdoc/>
    public Task RestoreRunAsync(string runId, CancellationToken cancellationToken = default) => SetRunStage(runId, deleted: false);

    /// <inheritdoc/>
    public Task LogBatchAsync(string runId, IReadOnlyList<RunMetric>? metrics, IReadOnlyList<Param>? parameters, IReadOnlyList<RunTag>? tags, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        metrics ??= [];
        parameters ??= [];
        tags ??= [];
        TrackingValidation.ValidateBatch(metrics, parameters, tags);
        InTransaction(() =>
        {
            RequireActiveRun(runId);
            WriteParams(runId, parameters);
            WriteMetrics(runId, metrics);
            WriteTags(runId, tags);
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteTagAsync(string runId, string key, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        InTransaction(() =>
        {
            RequireActiveRun(runId);
            using var delete = With(With(Command("DELETE FROM tags WHERE run_uuid = @id AND key = @key"), "@id", runId), "@key", key);
            if (delete.ExecuteNonQuery() == 0)
            {
                throw MlflowException.NotFound($"No tag with name: {key} in run with id {runId}");
            }

            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RunMetric>> GetMetricHistoryAsync(string runId, string metricKey, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateRunId(runId);
        IReadOnlyList<RunMetric> history = Read(() =>
        {
            RequireRun(runId);
            using var command = With(With(Command(
                "SELECT value, is_nan, timestamp, step FROM metrics WHERE run_uuid = @id AND key = @key ORDER BY step, timestamp, is_nan, value"), "@id", runId), "@key", metricKey);
            using var reader = command.ExecuteReader();
            var list = new List<RunMetric>();
            while (reader.Read())
            {
                list.Add(new RunMetric(metricKey, ReadValue(reader, 0, 1), reader.GetInt64(2), reader.GetInt64(3)));
            }

            return list;
        });
        return Task.FromResult(history);
    }

    private Task SetRunStage(string runId, bool deleted)
    {
        TrackingValidation.ValidateRunId(runId);
        InTransaction(() =>
        {
            RequireRun(runId);
            using var update = With(With(With(Command("UPDATE runs SET lifecycle_stage = @stage, deleted_time = @time WHERE run_uuid = @id"),
                "@stage", deleted ? "deleted" : "active"), "@time", deleted ? NowMs() : null), "@id", runId);
            update.ExecuteNonQuery();
            return 0;
        });
        return Task.CompletedTask;
    }

    private void WriteParams(string runId, IReadOnlyList<Param> parameters)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        using var select = Command("SELECT value FROM params WHERE run_uuid = @id AND key = @key");
        var selectKey = select.Parameters.Add("@key", SqliteType.Text);
        select.Parameters.AddWithValue("@id", runId);
        using var insert = Command("INSERT INTO params (run_uuid, key, value) VALUES (@id, @key, @value)");
        insert.Parameters.AddWithValue("@id", runId);
        var insertKey = insert.Parameters.Add("@key", SqliteType.Text);
        var insertValue = insert.Parameters.Add("@value", SqliteType.Text);
        foreach (var param in parameters)
        {
            selectKey.Value = param.Key;
            if (select.ExecuteScalar() is string existing)
            {
                if (existing != param.Value)
                {
                    throw MlflowException.InvalidParameter(
                        $"Changing param values is not allowed. Param with key='{param.Key}' was already logged with value='{existing}' for run ID='{runId}'. Attempted logging new value '{param.Value}'.");
                }

                continue;
            }

            insertKey.Value = param.Key;
            insertValue.Value = param.Value;
            insert.ExecuteNonQuery();
        }
    }

    private void WriteMetrics(string runId, IReadOnlyList<RunMetric> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        // History: one prepared statement reused for every row. (Multi-row INSERTs were slower here: binding hundreds
        // of named parameters per statement costs more than the statements they save.)
        using (var insert = Command("INSERT OR IGNORE INTO metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES (@id, @key, @value, @nan, @ts, @step)"))
        {
            insert.Parameters.AddWithValue("@id", runId);
            var historyKey = insert.Parameters.Add("@key", SqliteType.Text);
            var historyValue = insert.Parameters.Add("@value", SqliteType.Real);
            var historyNan = insert.Parameters.Add("@nan", SqliteType.Integer);
            var historyTimestamp = insert.Parameters.Add("@ts", SqliteType.Integer);
            var historyStep = insert.Parameters.Add("@step", SqliteType.Integer);
            insert.Prepare();
            foreach (var metric in metrics)
            {
                var nan = double.IsNaN(metric.Value);
                historyKey.Value = metric.Key;
                historyValue.Value = nan ? 0.0 : metric.Value;
                historyNan.Value = nan ? 1 : 0;
                historyTimestamp.Value = metric.Timestamp;
                historyStep.Value = metric.Step;
                insert.ExecuteNonQuery();
            }
        }

        // Latest values: pick the newest of the batch per key in memory, then one upsert per key. The newest is the
        // highest step, then the latest timestamp, then the largest value (MLflow's rule); NaN loses ties.
        var newest = new Dictionary<string, RunMetric>(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            if (!newest.TryGetValue(metric.Key, out var current) || IsNewer(metric, current))
            {
                newest[metric.Key] = metric;
            }
        }

        using var latest = Command(
            "INSERT INTO latest_metrics (run_uuid, key, value, is_nan, timestamp, step) VALUES (@id, @key, @value, @nan, @ts, @step) " +
            "ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step " +
            "WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step AND (excluded.timestamp > latest_metrics.timestamp " +
            "OR (excluded.timestamp = latest_metrics.timestamp AND excluded.is_nan = 0 AND (latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))))");
        latest.Parameters.AddWithValue("@id", runId);
        var key = latest.Parameters.Add("@key", SqliteType.Text);
        var value = latest.Parameters.Add("@value", SqliteType.Real);
        var isNan = latest.Parameters.Add("@nan", SqliteType.Integer);
        var timestamp = latest.Parameters.Add("@ts", SqliteType.Integer);
        var step = latest.Parameters.Add("@step", SqliteType.Integer);
        foreach (var metric in newest.Values)
        {
            key.Value = metric.Key;
            value.Value = double.IsNaN(metric.Value) ? DBNull.Value : metric.Value;
            isNan.Value = double.IsNaN(metric.Value) ? 1 : 0;
            timestamp.Value = metric.Timestamp;
            step.Value = metric.Step;
            latest.ExecuteNonQuery();
        }
    }

    private static bool IsNewer(RunMetric candidate, RunMetric current)
    {
        if (candidate.Step != current.Step)
        {
            return candidate.Step > current.Step;
        }

        if (candidate.Timestamp != current.Timestamp)
        {
            return candidate.Timestamp > current.Timestamp;
        }

        return !double.IsNaN(candidate.Value) && (double.IsNaN(current.Value) || candidate.Value > current.Value);
    }

    private void WriteTags(string runId, IReadOnlyList<RunTag> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        using var upsert = Command("INSERT OR REPLACE INTO tags (run_uuid, key, value) VALUES (@id, @key, @value)");
        upsert.Parameters.AddWithValue("@id", runId);
        var key = upsert.Parameters.Add("@key", SqliteType.Text);
        var value = upsert.Parameters.Add("@value", SqliteType.Text);
        foreach (var tag in tags)
        {
            key.Value = tag.Key;
            value.Value = tag.Value;
            upsert.ExecuteNonQuery();
            if (tag.Key == MlflowTags.RunName)
            {
                // The name lives in both places in MLflow; keep them in step.
                using var rename = With(With(Command("UPDATE runs SET name = @name WHERE run_uuid = @id"), "@name", tag.Value), "@id", runId);
                rename.ExecuteNonQuery();
            }
        }
    }

    private void RequireActiveRun(string runId)
    {
        var stage = RequireRun(runId);
        if (stage != "active")
        {
            throw MlflowException.InvalidParameter($"The run {runId} must be in the 'active' state. Current state is {stage}.");
        }
    }

    private string RequireRun(string runId)
    {
        using var command = With(Command("SELECT lifecycle_stage FROM runs WHERE run_uuid = @id"), "@id", runId);
        return command.ExecuteScalar() as string ?? throw RunNotFound(runId);
    }

    private static MlflowException RunNotFound(string runId) => MlflowException.NotFound($"Run with id={runId} not found");

    private static double ReadValue(SqliteDataReader reader, int valueOrdinal, int nanOrdinal) =>
        reader.GetInt64(nanOrdinal) == 1 ? double.NaN : reader.GetDouble(valueOrdinal);

    /// <summary>Loads full runs (info, params, tags, latest metrics) in the given order.</summary>
    private List<Run> LoadRuns(IReadOnlyList<string> runIds)
    {
        if (runIds.Count == 0)
        {
            return [];
        }

        var inList = string.Join(", ", runIds.Select((_, i) => "@r" + i.ToString(CultureInfo.InvariantCulture)));
        SqliteCommand Make(string sql)
        {
            var command = Command(sql.Replace("{ids}", inList, StringComparison.Ordinal));
            for (var i = 0; i < runIds.Count; i++)
            {
                command.Parameters.AddWithValue("@r" + i.ToString(CultureInfo.InvariantCulture), runIds[i]);
            }

            return command;
        }

        var infos = new Dictionary<string, RunInfo>(StringComparer.Ordinal);
        using (var command = Make($"SELECT {RunColumns} FROM runs WHERE run_uuid IN ({{ids}})"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var info = new RunInfo(reader.GetString(0), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture), reader.GetString(2),
                    reader.GetString(3), TrackingNames.ParseRunStatus(reader.GetString(4)), reader.GetInt64(5),
                    reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.GetString(7), TrackingNames.ParseLifecycleStage(reader.GetString(8)));
                infos[info.RunId] = info;
            }
        }

        var parameters = infos.Keys.ToDictionary(k => k, _ => new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var tags = infos.Keys.ToDictionary(k => k, _ => new Dictionary<string, string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var metrics = infos.Keys.ToDictionary(k => k, _ => new List<RunMetric>(), StringComparer.Ordinal);
        ReadPairs(Make("SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({ids})"), parameters);
        ReadPairs(Make("SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({ids})"), tags);
        using (var command = Make("SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid IN ({ids}) ORDER BY run_uuid, key"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                metrics[reader.GetString(0)].Add(new RunMetric(reader.GetString(1), ReadValue(reader, 2, 3), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }

        var runs = new List<Run>(runIds.Count);
        foreach (var id in runIds)
        {
            if (infos.TryGetValue(id, out var info))
            {
                runs.Add(new Run(info, new RunData(metrics[id], parameters[id], tags[id])));
            }
        }

        return runs;

        static void ReadPairs(SqliteCommand command, Dictionary<string, Dictionary<string, string>> target)
        {
            using (command)
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    target[reader.GetString(0)][reader.GetString(1)] = reader.GetString(2);
                }
            }
        }
    }
}
