namespace Mlops.Training.Distributed;

/// <summary>What a strategy's tensor all-reduces have cost so far on this worker (for step-time breakdowns).</summary>
/// <param name="AllReduceCalls">Tensor all-reduces (each may span several buckets).</param>
/// <param name="BytesReduced">Bytes of tensor memory all-reduced.</param>
/// <param name="AllReduceTime">Wall time spent in tensor all-reduces, waiting for slower workers included.</param>
public readonly record struct CollectiveStatistics(long AllReduceCalls, long BytesReduced, TimeSpan AllReduceTime);
