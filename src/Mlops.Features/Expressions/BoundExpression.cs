using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>
/// A column expression resolved against a schema: its result type is known and checked, column names are
/// resolved to positions, and <see cref="Evaluate"/> computes the whole column for a batch with vectorised kernels.
/// </summary>
internal sealed class BoundExpression
{
    private readonly Func<RecordBatch, IArrowArray> _evaluate;
    private ConstantResult? _constant;

    /// <param name="type">The result type.</param>
    /// <param name="evaluate">Computes the result for a batch.</param>
    /// <param name="isConstant">
    /// The result depends only on the batch length (a literal, or a cast of one): it is computed once per length and
    /// reused, since Arrow arrays are immutable.
    /// </param>
    public BoundExpression(IArrowType type, Func<RecordBatch, IArrowArray> evaluate, bool isConstant = false)
    {
        Type = type;
        _evaluate = evaluate;
        IsConstant = isConstant;
    }

    /// <summary>The type of the values <see cref="Evaluate"/> returns.</summary>
    public IArrowType Type { get; }

    /// <summary>Whether the values depend only on the number of rows.</summary>
    public bool IsConstant { get; }

    /// <summary>Computes the expression for every row of <paramref name="batch"/>.</summary>
    public IArrowArray Evaluate(RecordBatch batch)
    {
        if (!IsConstant)
        {
            return _evaluate(batch);
        }

        var cached = Volatile.Read(ref _constant);
        if (cached is not null && cached.Length == batch.Length)
        {
            return cached.Array;
        }

        var array = _evaluate(batch);
        Volatile.Write(ref _constant, new ConstantResult(batch.Length, array));
        return array;
    }

    /// <summary>This expression with its values cast to <paramref name="type"/> (itself if it already has that type).</summary>
    public BoundExpression CastTo(IArrowType type) =>
        SchemaChecks.SameType(Type, type) && Type is not NullType ? this : new BoundExpression(type, b => CastKernels.Cast(Evaluate(b), type), IsConstant);

    private sealed record ConstantResult(int Length, IArrowArray Array);
}
