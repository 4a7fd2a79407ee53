namespace Mlops.Distributed.Collectives;

/// <summary>How an all-reduce or reduce-scatter combines the ranks' values.</summary>
public enum ReduceOp : byte
{
    /// <summary>The sum over ranks.</summary>
    Sum = 1,

    /// <summary>The sum divided by the world size (integer types truncate toward zero).</summary>
    Average = 2,

    /// <summary>The smallest value.</summary>
    Min = 3,

    /// <summary>The largest value.</summary>
    Max = 4,

    /// <summary>The product over ranks.</summary>
    Product = 5,
}
