using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using Mlops.Features;
using RecommendationEngine;

namespace Mlops.Benchmarks;

/// <summary>
/// Where the seed job's allocations go, by type and heap (small, large, pinned): runs the whole job once warm,
/// then once with the runtime's AllocationTick events on (one event per ~100 KB allocated, so the sums are a
/// sample of the real figures) and prints the heaviest types. A cheap first look before a full trace.
/// </summary>
internal static class SeedJobAllocations
{
    public static int Run(Dictionary<string, string> options)
    {
        var clicks = long.Parse(options.GetValueOrDefault("clicks", "10000000"), CultureInfo.InvariantCulture);
        var root = Path.GetFullPath(options.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "mlops-seedjob")));
        var data = Path.Combine(root, $"data-{clicks}");
        var output = Path.Combine(root, "out-allocations");
        long Job() => FeatureJob.Plan(data).WriteParquet(output, new ParquetWriteOptions { Mode = SaveMode.Overwrite }).Rows;

        Job();
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var gen2 = GC.CollectionCount(2);
        using (var listener = new AllocationListener())
        {
            Job();
            var total = GC.GetTotalAllocatedBytes(precise: true) - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated {total / (1 << 20):N0} MiB, gen2 {GC.CollectionCount(2) - gen2}"));
            foreach (var (key, bytes) in listener.Totals.OrderByDescending(p => p.Value).Take(int.Parse(options.GetValueOrDefault("top", "25"), CultureInfo.InvariantCulture)))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes / (1 << 20),8:N0} MiB  {key}"));
            }
        }

        return 0;
    }

    private sealed class AllocationListener : EventListener
    {
        private const int AllocationTickEventId = 10;

        public ConcurrentDictionary<string, long> Totals { get; } = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventId != AllocationTickEventId || e.Payload is null || e.PayloadNames is null)
            {
                return;
            }

            var kind = Convert.ToInt32(e.Payload[e.PayloadNames.IndexOf("AllocationKind")], CultureInfo.InvariantCulture) switch
            {
                0 => "SOH",
                1 => "LOH",
                _ => "POH",
            };
            var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
            var type = e.Payload[e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            Totals.AddOrUpdate($"{kind} {type}", amount, (_, sum) => sum + amount);
        }
    }
}
