using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mlops.Training.Distributed;

/// <summary>The strategy's meter and activity source, both named <see cref="MultiWorkerMirroredStrategy.TelemetryName"/>.</summary>
internal static class StrategyTelemetry
{
    public static readonly ActivitySource Source = new(MultiWorkerMirroredStrategy.TelemetryName);

    private static readonly Meter Meter = new(MultiWorkerMirroredStrategy.TelemetryName);

    /// <summary>Bytes of tensor memory all-reduced (each rank counts its own buffer once).</summary>
    public static readonly Counter<long> BytesReduced = Meter.CreateCounter<long>("mlops.training.allreduce.bytes", "By", "Bytes of tensor memory all-reduced by this worker");

    /// <summary>Wall time of a tensor all-reduce (all of its buckets).</summary>
    public static readonly Histogram<double> AllReduceDuration = Meter.CreateHistogram<double>("mlops.training.allreduce.duration", "s", "Wall time of one tensor all-reduce, all buckets");
}
