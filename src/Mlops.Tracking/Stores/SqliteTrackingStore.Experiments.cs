using System.Globalization;
using Microsoft.Data.Sqlite;
using Mlops.Tracking.Search;

namespace Mlops.Tracking.Stores;

public partial class SqliteTrackingStore
{
    /// <inheritdoc/>
    public Task<string> CreateExperimentAsync(string name, string? artifactLocation = null, IReadOnlyList<RunTag>? tags = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(name);
        foreach (var tag in tags ?? [])
        {
            TrackingValidation.ValidateTag(tag);
        }

        var id = InTransaction(() =>
        {
            using (var exists = With(Command("SELECT experiment_id FROM experiments WHERE name = @name"), "@name", name))
            {
                if (exists.ExecuteScalar() is not null)
                {
                    throw MlflowException.AlreadyExists($"Experiment(name={name}) already exists.");
                }
            }

            var now = NowMs();
            using var insert = Command(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (@name, '', 'active', @now, @now) RETURNING experiment_id");
            insert.Parameters.AddWithValue("@name", name);
            insert.Parameters.AddWithValue("@now", now);
            var newId = (long)insert.ExecuteScalar()!;
            var location = artifactLocation ?? DefaultArtifactRoot + "/" + newId.ToString(CultureInfo.InvariantCulture);
            using (var update = Command("UPDATE experiments SET artifact_location = @loc WHERE experiment_id = @id"))
            {
                update.Parameters.AddWithValue("@loc", location.TrimEnd('/'));
                update.Parameters.AddWithValue("@id", newId);
                update.ExecuteNonQuery();
            }

            foreach (var tag in tags ?? [])
            {
                UpsertExperimentTag(newId, tag);
            }

            return newId.ToString(CultureInfo.InvariantCulture);
        });
        return Task.FromResult(id);
    }

    /// <inheritdoc/>
    public Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        return Task.FromResult(Read(() => LoadExperiments("WHERE experiment_id = @id", c => c.Parameters.AddWithValue("@id", id)).FirstOrDefault())
            ?? throw MlflowException.NotFound($"No Experiment with id={experimentId} exists"));
    }

    /// <inheritdoc/>
    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(Read(() => LoadExperiments("WHERE name = @name", c => c.Parameters.AddWithValue("@name", name)).FirstOrDefault()));

    /// <inheritdoc/>
    public Task<PagedList<Experiment>> SearchExperimentsAsync(ViewType viewType = ViewType.ActiveOnly, int maxResults = 1000, IReadOnlyList<string>? orderBy = null, string? pageToken = null, string? filter = null, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateMaxResults(maxResults);
        var offset = PageToken.Decode(pageToken);
        var all = Read(() => LoadExperiments(StageCondition(viewType, "lifecycle_stage", "WHERE"), _ => { }));
        return Task.FromResult(ExperimentPaging.Page(all, orderBy, maxResults, offset, filter));
    }

    /// <inheritdoc/>
    public Task DeleteExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        if (id == 0)
        {
            throw MlflowException.InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
        }

        InTransaction(() =>
        {
            RequireExperiment(id, experimentId);
            var now = NowMs();
            using var update = With(With(Command(
                "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = @now WHERE experiment_id = @id; " +
                "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = @now WHERE experiment_id = @id AND lifecycle_stage = 'active';"), "@id", id), "@now", now);
            update.ExecuteNonQuery();
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RestoreExperimentAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        var id = ParseExperimentId(experimentId);
        InTransaction(() =>
        {
            if (RequireExperiment(id, experimentId) != "deleted")
            {
                throw MlflowException.InvalidParameter($"Cannot restore an active experiment. Experiment {experimentId} is active.");
            }

            var now = NowMs();
            using var update = With(With(Command(
                "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = @now WHERE experiment_id = @id; " +
                "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = @id AND lifecycle_stage = 'deleted';"), "@id", id), "@now", now);
            update.ExecuteNonQuery();
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateExperimentName(newName);
        var id = ParseExperimentId(experimentId);
        InTransaction(() =>
        {
            if (RequireExperiment(id, experimentId) != "active")
            {
                throw MlflowException.InvalidParameter("Cannot rename a non-active experiment.");
            }

            using (var exists = With(With(Command("SELECT 1 FROM experiments WHERE name = @name AND experiment_id != @id"), "@name", newName), "@id", id))
            {
                if (exists.ExecuteScalar() is not null)
                {
                    throw MlflowException.AlreadyExists($"Experiment(name={newName}) already exists.");
                }
            }

            using var update = With(With(With(Command("UPDATE experiments SET name = @name, last_update_time = @now WHERE experiment_id = @id"),
                "@name", newName), "@id", id), "@now", NowMs());
            update.ExecuteNonQuery();
            return 0;
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task SetExperimentTagAsync(string experimentId, RunTag tag, CancellationToken cancellationToken = default)
    {
        TrackingValidation.ValidateTag(tag);
        var id = ParseExperimentId(experimentId);
        InTransaction(() =>
        {
            if (RequireExperiment(id, experimentId) != "active")
            {
                throw MlflowException.InvalidParameter($"The experiment {experimentId} must be in the 'active' state. Current state is deleted.");
            }

            UpsertExperimentTag(id, tag);
            return 0;
        });
        return Task.CompletedTask;
    }

    private void UpsertExperimentTag(long id, RunTag tag)
    {
        using var upsert = With(With(With(Command("INSERT OR REPLACE INTO experiment_tags (experiment_id, key, value) VALUES (@id, @key, @value)"),
            "@id", id), "@key", tag.Key), "@value", tag.Value);
        upsert.ExecuteNonQuery();
    }

    private string RequireExperiment(long id, string experimentId)
    {
        using var command = With(Command("SELECT lifecycle_stage FROM experiments WHERE experiment_id = @id"), "@id", id);
        return command.ExecuteScalar() as string ?? throw MlflowException.NotFound($"No Experiment with id={experimentId} exists");
    }

    private static string StageCondition(ViewType viewType, string column, string keyword) => viewType switch
    {
        ViewType.ActiveOnly => $"{keyword} {column} = 'active'",
        ViewType.DeletedOnly => $"{keyword} {column} = 'deleted'",
        _ => keyword == "WHERE" ? "" : "",
    };

    private List<Experiment> LoadExperiments(string where, Action<SqliteCommand> bind)
    {
        var rows = new List<(long Id, string Name, string Location, string Stage, long Created, long Updated)>();
        using (var command = Command($"SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM experiments {where}"))
        {
            bind(command);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }

        var experiments = new List<Experiment>(rows.Count);
        foreach (var row in rows)
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            using var command = With(Command("SELECT key, value FROM experiment_tags WHERE experiment_id = @id"), "@id", row.Id);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                tags[reader.GetString(0)] = reader.GetString(1);
            }

            experiments.Add(new Experiment(row.Id.ToString(CultureInfo.InvariantCulture), row.Name, row.Location,
                TrackingNames.ParseLifecycleStage(row.Stage), row.Created, row.Updated, tags));
        }

        return experiments;
    }
}
