using System.Diagnostics;
using System.Globalization;
using Mlops.Features;
using RecommendationEngine;

namespace Mlops.Benchmarks;

/// <summary>
/// Profiles the seed job by stage: each line runs the job cut off after one more stage (counting rows
/// instead of writing), so the differences between lines are what each stage costs.
/// </summary>
internal static class SeedJobStages
{
    public static int Run(Dictionary<string, string> options)
    {
        var clicks = long.Parse(options.GetValueOrDefault("clicks", "10000000"), CultureInfo.InvariantCulture);
        var root = Path.GetFullPath(options.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "mlops-seedjob")));
        var data = Path.Combine(root, $"data-{clicks}");
        if (!File.Exists(Path.Combine(data, "_GENERATED")))
        {
            Console.Error.WriteLine($"No generated data in {data}; run 'seedjob --clicks {clicks}' first.");
            return 2;
        }

        string[] clickColumns = ["user_id", "product_id", "click_duration", "label"];
        Frame Clicks() => Frame.ReadParquet(Path.Combine(data, "clicks"), new ParquetReadOptions { Columns = clickColumns });
        Frame Users() => Frame.ReadJson(Path.Combine(data, "user_profiles.jsonl")).Select("user_id", "user_age");
        Frame Products() => Frame.ReadCsv(Path.Combine(data, "product_catalog.csv"), new CsvReadOptions { Header = true, InferSchema = true }).Select("product_id", "product_price");
        var stages = new (string Name, Func<long> Run)[]
        {
            ("read clicks", () => Clicks().Count()),
            ("+ join users", () => Clicks().Join(Users(), "user_id").Count()),
            ("+ join products", () => Clicks().Join(Users(), "user_id").Join(Products(), "product_id").Count()),
            ("+ assemble", () => FeatureJob.Plan(Clicks(), Frame.ReadJson(Path.Combine(data, "user_profiles.jsonl")), Frame.ReadCsv(Path.Combine(data, "product_catalog.csv"), new CsvReadOptions { Header = true, InferSchema = true })).Count()),
            ("+ write parquet", () => FeatureJob.Plan(data).WriteParquet(Path.Combine(root, "out-stages"), new ParquetWriteOptions { Mode = SaveMode.Overwrite }).Rows),
        };
        foreach (var (name, run) in stages)
        {
            var best = double.MaxValue;
            long rows = 0;
            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                var gcBefore = GC.CollectionCount(2);
                var watch = Stopwatch.StartNew();
                rows = run();
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-18} {best,7:0.000} s  rows={rows:N0}  allocated so far={GC.GetTotalAllocatedBytes() / (1 << 20):N0} MiB  gen2={GC.CollectionCount(2)}"));
        }

        return 0;
    }
}
