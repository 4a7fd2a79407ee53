using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Mlops.Tracking.Registry;

/// <summary>
/// The registry's SQLite schema, MLflow's tables and keys: one row per registered model, version, tag and alias, so a
/// write touches only its own rows and costs the same however many versions (and however long their descriptions) a
/// model has. The model row keeps <c>last_version</c>, so a deleted version's number is never reused.
/// </summary>
internal static class SqliteRegistrySchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS registered_models (
            name TEXT PRIMARY KEY,
            creation_time INTEGER NOT NULL,
            last_updated_time INTEGER NOT NULL,
            description TEXT NOT NULL,
            last_version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS model_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            creation_time INTEGER NOT NULL,
            last_updated_time INTEGER NOT NULL,
            description TEXT NOT NULL,
            source TEXT NOT NULL,
            run_id TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (name, version));
        CREATE INDEX IF NOT EXISTS index_model_versions_run_id ON model_versions (run_id);
        CREATE TABLE IF NOT EXISTS registered_model_tags (
            name TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (name, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS model_version_tags (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (name, version, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS registered_model_aliases (
            name TEXT NOT NULL,
            alias TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (name, alias)) WITHOUT ROWID;
        """;

    /// <summary>The one table of the first schema: each model a JSON document with its versions, tags and aliases.</summary>
    private const string LegacyTable = "registered_model_documents";

    public static string StatusText(ModelVersionStatus status) => status switch
    {
        ModelVersionStatus.PendingRegistration => "PENDING_REGISTRATION",
        ModelVersionStatus.FailedRegistration => "FAILED_REGISTRATION",
        _ => "READY",
    };

    public static ModelVersionStatus ParseStatus(string status) => status switch
    {
        "PENDING_REGISTRATION" => ModelVersionStatus.PendingRegistration,
        "FAILED_REGISTRATION" => ModelVersionStatus.FailedRegistration,
        _ => ModelVersionStatus.Ready,
    };

    /// <summary>
    /// Moves a database written by the document schema into the rows, inside the caller's write transaction, and drops
    /// the old table: every model, version, tag and alias keeps its values and timestamps. Documents are copied as they
    /// are (the old code accepted any size), so limits apply to new writes only.
    /// </summary>
    public static void MigrateDocuments(SqliteConnection connection)
    {
        using (var exists = connection.CreateCommand())
        {
            exists.CommandText = $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{LegacyTable}'";
            if ((long)exists.ExecuteScalar()! == 0)
            {
                return;
            }
        }

        var documents = new List<string>();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = $"SELECT document FROM {LegacyTable} ORDER BY name";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                documents.Add(reader.GetString(0));
            }
        }

        foreach (var json in documents)
        {
            using var document = JsonDocument.Parse(json);
            MigrateModel(connection, document.RootElement);
        }

        using var drop = connection.CreateCommand();
        drop.CommandText = $"DROP TABLE {LegacyTable}";
        drop.ExecuteNonQuery();
    }

    private static void MigrateModel(SqliteConnection connection, JsonElement model)
    {
        var name = model.GetProperty("Name").GetString()!;
        Insert(connection, "INSERT INTO registered_models (name, creation_time, last_updated_time, description, last_version) VALUES (@p0, @p1, @p2, @p3, @p4)",
            name, model.GetProperty("Created").GetInt64(), model.GetProperty("Updated").GetInt64(), model.GetProperty("Description").GetString() ?? "",
            model.GetProperty("LastVersion").GetInt64());
        foreach (var tag in model.GetProperty("Tags").EnumerateObject())
        {
            Insert(connection, "INSERT INTO registered_model_tags (name, key, value) VALUES (@p0, @p1, @p2)", name, tag.Name, tag.Value.GetString() ?? "");
        }

        foreach (var alias in model.GetProperty("Aliases").EnumerateObject())
        {
            Insert(connection, "INSERT INTO registered_model_aliases (name, alias, version) VALUES (@p0, @p1, @p2)", name, alias.Name, alias.Value.GetInt64());
        }

        foreach (var version in model.GetProperty("Versions").EnumerateArray())
        {
            var number = version.GetProperty("Version").GetInt64();
            var status = version.TryGetProperty("Status", out var s) && s.ValueKind == JsonValueKind.Number
                ? (ModelVersionStatus)s.GetInt32()
                : ModelVersionStatus.Ready;
            Insert(connection,
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, source, run_id, status) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7)",
                name, number, version.GetProperty("Created").GetInt64(), version.GetProperty("Updated").GetInt64(), version.GetProperty("Description").GetString() ?? "",
                version.GetProperty("Source").GetString() ?? "", version.GetProperty("RunId").GetString() ?? "", StatusText(status));
            foreach (var tag in version.GetProperty("Tags").EnumerateObject())
            {
                Insert(connection, "INSERT INTO model_version_tags (name, version, key, value) VALUES (@p0, @p1, @p2, @p3)", name, number, tag.Name, tag.Value.GetString() ?? "");
            }
        }
    }

    private static void Insert(SqliteConnection connection, string sql, params object[] values)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("@p" + i.ToString(CultureInfo.InvariantCulture), values[i]);
        }

        command.ExecuteNonQuery();
    }
}
