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

    public BoundExpression(IArrowType type, Func<RecordBatch, IArrowArray> evaluate)
    {
        Type = type;
        _evaluate = evaluate;
    }

    /// <summary>The type of the values <see cref="Evaluate"/> returns.</summary>
    public IArrowType Type { get; }

    /// <summary>Computes the expression for every row of <paramref name="batch"/>.</summary>
    public IArrowArray Evaluate(RecordBatch batch) => _evaluate(batch);

    /// <summary>This expression with its values cast to <paramref name="type"/> (itself if it already has that type).</summary>
    public BoundExpression CastTo(IArrowType type) =>
        SchemaChecks.SameType(Type, type) && Type is not NullType ? this : new BoundExpression(type, b => CastKernels.Cast(Evaluate(b), type));
}
