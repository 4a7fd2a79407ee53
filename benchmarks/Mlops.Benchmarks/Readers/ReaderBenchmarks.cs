using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using DuckDB.NET.Data;
using Mlops.Features;

namespace Mlops.Benchmarks.Readers;

/// <summary>
/// Reading 1M rows of CSV, JSON lines and Parquet into Arrow, side by side with DuckDB reading the same
/// files (DuckDB is the baseline; its query touches every column so that it parses them all).
/// </summary>
[MemoryDiagnoser]
public class ReaderBenchmarks
{
    private const int Rows = 1_000_000;
    private string _folder = null!;
    private DuckDBConnection _duck = null!;

    [Params("csv", "jsonl", "parquet")]
    public string Format { get; set; } = "csv";

    private string DataPath => Path.Combine(_folder, Format == "parquet" ? "data" : "data." + Format);

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "mlops-reader-bench");
        Directory.CreateDirectory(_folder);
        var random = new Random(3);
        var csv = Path.Combine(_folder, "data.csv");
        if (!File.Exists(csv))
        {
            using var c = new StreamWriter(csv, false, new UTF8Encoding(false), 1 << 16);
            using var j = new StreamWriter(Path.Combine(_folder, "data.jsonl"), false, new UTF8Encoding(false), 1 << 16);
            c.Write("id,amount,name,when\n");
            for (var i = 0; i < Rows; i++)
            {
                var amount = Math.Round(random.NextDouble() * 1000, 3).ToString(CultureInfo.InvariantCulture);
                var name = "name-" + random.Next(10_000).ToString(CultureInfo.InvariantCulture);
                var when = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(31_536_000)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                c.Write($"{i},{amount},{name},{when}\n");
                j.Write($"{{\"id\":{i},\"amount\":{amount},\"name\":\"{name}\",\"when\":\"{when}\"}}\n");
            }
        }

        if (!Directory.Exists(Path.Combine(_folder, "data")))
        {
            Frame.ReadCsv(csv, new CsvReadOptions { Header = true, InferSchema = true }).WriteParquet(Path.Combine(_folder, "data"));
        }

        _duck = new DuckDBConnection("Data Source=:memory:");
        _duck.Open();
    }

    [GlobalCleanup]
    public void Cleanup() => _duck.Dispose();

    [Benchmark]
    public long Mlops() => Format switch
    {
        "csv" => Frame.ReadCsv(DataPath, new CsvReadOptions { Header = true, InferSchema = true }).Count(),
        "jsonl" => Frame.ReadJson(DataPath).Count(),
        _ => Frame.ReadParquet(DataPath).Count(),
    };

    [Benchmark(Baseline = true)]
    public long DuckDb()
    {
        var source = Format switch
        {
            "csv" => $"read_csv('{DataPath}', header = true)",
            "jsonl" => $"read_json('{DataPath}', format = 'newline_delimited')",
            _ => $"read_parquet('{DataPath}/*.parquet')",
        };
        using var command = _duck.CreateCommand();
        command.CommandText = $"SELECT CAST(count(*) + count(amount) + count(name) + count(\"when\") + min(id) * 0 AS BIGINT) FROM {source}";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
