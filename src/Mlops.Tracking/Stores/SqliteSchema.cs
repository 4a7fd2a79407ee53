namespace Mlops.Tracking.Stores;

/// <summary>
/// The SQLite schema: MLflow's table and column names (so the file reads familiarly) plus the indexes that keep search
/// fast at 100k runs. <c>latest_metrics</c> holds one row per (run, key) kept current on every log, so metric filters
/// and order_by never scan the metric history. The history is clustered on (run, key, step, timestamp): one B-tree
/// insert per value, and an identical value logged twice is stored once, as in MLflow (whose key includes the value).
/// NaN is stored as value 0 with is_nan = 1 in the history and as NULL in latest_metrics.
/// </summary>
internal static class SqliteSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS experiments (
            experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            artifact_location TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            creation_time INTEGER NOT NULL,
            last_update_time INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS experiment_tags (
            experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (experiment_id, key));
        CREATE TABLE IF NOT EXISTS runs (
            run_uuid TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
            user_id TEXT NOT NULL,
            status TEXT NOT NULL,
            start_time INTEGER NOT NULL,
            end_time INTEGER,
            artifact_uri TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            deleted_time INTEGER);
        CREATE INDEX IF NOT EXISTS index_runs_experiment_start ON runs (experiment_id, start_time DESC, run_uuid);
        CREATE TABLE IF NOT EXISTS params (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_uuid, key)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS index_params_key_value ON params (key, value);
        CREATE TABLE IF NOT EXISTS tags (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_uuid, key)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS index_tags_key_value ON tags (key, value);
        CREATE TABLE IF NOT EXISTS metrics (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            step INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            is_nan INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_uuid, key, step, timestamp, is_nan, value)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS latest_metrics (
            run_uuid TEXT NOT NULL REFERENCES runs(run_uuid),
            key TEXT NOT NULL,
            value REAL,
            is_nan INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            step INTEGER NOT NULL,
            PRIMARY KEY (run_uuid, key)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS index_latest_metrics_key_value ON latest_metrics (key, value);
        """;
}
