using System.Globalization;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// The fingerprint of one collective call: its sequence number on the communicator and what was asked (operation,
/// element type, reduction, element count, root). Ranks compare fingerprints before exchanging data, so a rank that
/// calls a different collective, or the same one with another size, is reported instead of hanging or corrupting sums.
/// </summary>
/// <param name="Sequence">0-based number of the call on its communicator.</param>
/// <param name="Kind">The operation.</param>
/// <param name="DataType">The element type.</param>
/// <param name="Op">The reduction (all-reduce and reduce-scatter; otherwise <see cref="ReduceOp.Sum"/>).</param>
/// <param name="Count">Elements per rank: the buffer for all-reduce and broadcast, each rank's block for all-gather and reduce-scatter.</param>
/// <param name="Root">The root rank of a broadcast; otherwise 0.</param>
public readonly record struct CollectiveCall(long Sequence, CollectiveKind Kind, CollectiveDataType DataType, ReduceOp Op, long Count, int Root)
{
    /// <summary>Whether two ranks' calls describe the same collective.</summary>
    /// <param name="other">The other rank's call.</param>
    /// <returns>True when every field agrees.</returns>
    public bool Matches(in CollectiveCall other) => this == other;

    /// <summary>Reads like <c>#12 AllReduce(Sum, float32 × 1000)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var type = CollectiveDataTypes.Name(DataType);
        var count = Count.ToString("N0", CultureInfo.InvariantCulture);
        return Kind switch
        {
            CollectiveKind.AllReduce or CollectiveKind.ReduceScatter => $"#{Sequence} {Kind}({Op}, {type} × {count})",
            CollectiveKind.Broadcast => $"#{Sequence} Broadcast(root {Root}, {type} × {count})",
            CollectiveKind.Barrier => $"#{Sequence} Barrier()",
            _ => $"#{Sequence} {Kind}({type} × {count})",
        };
    }
}
