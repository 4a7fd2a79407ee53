using Apache.Arrow;
using Apache.Arrow.Types;
using BenchmarkDotNet.Attributes;
using DuckDB.NET.Data;
using Mlops.Features;

namespace Mlops.Benchmarks.Joins;

/// <summary>
/// Probe throughput of the hash join: 10M streamed rows with a long key against a 100K-row build side
/// (half the probe keys match), with 1 and 2 workers, side by side with DuckDB running the same join.
/// The build table is made once in setup, so the numbers are probe (and output gather) only.
/// </summary>
[MemoryDiagnoser]
public class HashJoinProbeBenchmarks
{
    private const int ProbeRows = 10_000_000;
    private const int BuildRows = 100_000;
    private const int BatchRows = 65_536;

    private Frame _probe = null!;
    private Frame _build = null!;
    private Frame _inner = null!;
    private Frame _left = null!;
    private Frame _semi = null!;
    private DuckDBConnection _duckDb = null!;

    /// <summary>Partitions processed at once (FrameExecution) and DuckDB threads.</summary>
    [Params(1, 2)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var probeSchema = new Schema([new Field("k", Int64Type.Default, false), new Field("x", DoubleType.Default, false)], null);
        var buildSchema = new Schema([new Field("k", Int64Type.Default, false), new Field("y", DoubleType.Default, false)], null);
        var probeBatches = new List<RecordBatch>();
        for (var start = 0; start < ProbeRows; start += BatchRows)
        {
            var n = Math.Min(BatchRows, ProbeRows - start);
            var keys = new Int64Array.Builder().Reserve(n);
            var values = new DoubleArray.Builder().Reserve(n);
            for (var i = 0; i < n; i++)
            {
                keys.Append(random.NextInt64(2 * BuildRows));
                values.Append(start + i);
            }

            probeBatches.Add(new RecordBatch(probeSchema, [keys.Build(), values.Build()], n));
        }

        var buildKeys = new Int64Array.Builder().Reserve(BuildRows);
        var buildValues = new DoubleArray.Builder().Reserve(BuildRows);
        for (var i = 0; i < BuildRows; i++)
        {
            buildKeys.Append(i);
            buildValues.Append(i * 0.5);
        }

        var session = new FrameSession(new FeaturesOptions { DegreeOfParallelism = Workers });
        _probe = Frame.FromBatches(probeSchema, probeBatches).WithSession(session);
        _build = Frame.FromBatches(buildSchema, [new RecordBatch(buildSchema, [buildKeys.Build(), buildValues.Build()], BuildRows)]).WithSession(session);
        _inner = Prepared(_probe.Join(_build, "k"));
        _left = Prepared(_probe.Join(_build, "k", JoinType.Left));
        _semi = Prepared(_probe.Join(_build, "k", JoinType.LeftSemi));
        SetupDuckDb(probeBatches);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _duckDb.Dispose();
    }

    [Benchmark]
    public long MlopsInner() => _inner.Count();

    [Benchmark]
    public long MlopsLeft() => _left.Count();

    [Benchmark]
    public long MlopsLeftSemi() => _semi.Count();

    // DuckDB aggregates the join output instead of materialising it, so it does strictly less work.
    [Benchmark]
    public long DuckDbInner() => DuckDbCount("SELECT count(*), sum(x), sum(y) FROM p JOIN b USING (k)");

    [Benchmark]
    public long DuckDbLeftSemi() => DuckDbCount("SELECT count(*), sum(x) FROM p SEMI JOIN b USING (k)");

    // Builds the hash table (read once per frame) so that the measured actions only probe.
    private static Frame Prepared(Frame joined)
    {
        joined.Limit(1).Count();
        return joined;
    }

    private long DuckDbCount(string sql)
    {
        using var command = _duckDb.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        reader.Read();
        return reader.GetInt64(0);
    }

    private void SetupDuckDb(List<RecordBatch> probeBatches)
    {
        _duckDb = new DuckDBConnection("DataSource=:memory:");
        _duckDb.Open();
        Execute("CREATE TABLE p (k BIGINT NOT NULL, x DOUBLE NOT NULL)");
        Execute("CREATE TABLE b (k BIGINT NOT NULL, y DOUBLE NOT NULL)");
        using (var appender = _duckDb.CreateAppender("p"))
        {
            foreach (var batch in probeBatches)
            {
                var keys = ((Int64Array)batch.Column(0)).Values;
                var values = ((DoubleArray)batch.Column(1)).Values;
                for (var i = 0; i < batch.Length; i++)
                {
                    appender.CreateRow().AppendValue(keys[i]).AppendValue(values[i]).EndRow();
                }
            }
        }

        using (var appender = _duckDb.CreateAppender("b"))
        {
            for (var i = 0; i < BuildRows; i++)
            {
                appender.CreateRow().AppendValue((long)i).AppendValue(i * 0.5).EndRow();
            }
        }

        Execute($"SET threads = {Workers}");
    }

    private void Execute(string sql)
    {
        using var command = _duckDb.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
