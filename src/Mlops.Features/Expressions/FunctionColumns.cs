using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>IS NULL and IS NOT NULL.</summary>
internal sealed class NullTestColumn(Column operand, bool negate) : Column
{
    public override string ToString() => $"({operand} IS {(negate ? "NOT " : string.Empty)}NULL)";

    internal override BoundExpression Bind(Schema schema)
    {
        var bound = operand.Bind(schema);
        return new BoundExpression(BooleanType.Default, batch => LogicalKernels.IsNull(bound.Evaluate(batch), negate));
    }
}

/// <summary>Spark's <c>isnan</c>.</summary>
internal sealed class IsNaNColumn(Column operand) : Column
{
    public override string ToString() => $"isnan({operand})";

    internal override BoundExpression Bind(Schema schema)
    {
        var bound = operand.Bind(schema);
        if (!ExpressionTypes.IsNumeric(bound.Type) && bound.Type is not NullType)
        {
            throw TypeError($"isnan needs a numeric operand, but {operand} is {ExpressionTypes.Name(bound.Type)}.");
        }

        return new BoundExpression(BooleanType.Default, batch => LogicalKernels.IsNaN(bound.Evaluate(batch)));
    }
}

/// <summary>CAST(x AS type).</summary>
internal sealed class CastColumn(Column operand, IArrowType type) : Column
{
    public override string ToString() => $"CAST({operand} AS {ExpressionTypes.Name(type).ToUpperInvariant()})";

    internal override BoundExpression Bind(Schema schema)
    {
        var bound = operand.Bind(schema);
        if (!CastKernels.CanCast(bound.Type, type))
        {
            throw TypeError($"cannot cast {ExpressionTypes.Name(bound.Type)} to {ExpressionTypes.Name(type)}.");
        }

        return new BoundExpression(type, batch => CastKernels.Cast(bound.Evaluate(batch), type));
    }
}

/// <summary>
/// CASE WHEN ... THEN ... ELSE ... END, started by <see cref="Functions.When"/>. Add branches with <see cref="When"/> and
/// finish with <see cref="Otherwise"/>; without an otherwise, rows that match no branch are null.
/// </summary>
public sealed class WhenColumn : Column
{
    private readonly (Column Condition, Column Value)[] _branches;

    internal WhenColumn((Column Condition, Column Value)[] branches) => _branches = branches;

    /// <summary>Adds a branch, tried after the earlier ones.</summary>
    public WhenColumn When(Column condition, Column value) => new([.. _branches, (Of(condition), Of(value))]);

    /// <summary>The value of rows that match no branch.</summary>
    public Column Otherwise(Column value) => new CaseWhenColumn(_branches, Of(value));

    /// <inheritdoc/>
    public override string ToString() => CaseWhenColumn.Text(_branches, null);

    internal override BoundExpression Bind(Schema schema) => CaseWhenColumn.BindCase(this, schema, _branches, null);
}

/// <summary>A finished CASE WHEN with an ELSE value.</summary>
internal sealed class CaseWhenColumn((Column Condition, Column Value)[] branches, Column otherwise) : Column
{
    public override string ToString() => Text(branches, otherwise);

    internal override BoundExpression Bind(Schema schema) => BindCase(this, schema, branches, otherwise);

    internal static string Text((Column Condition, Column Value)[] branches, Column? otherwise) =>
        "CASE" + string.Concat(branches.Select(b => $" WHEN {b.Condition} THEN {b.Value}")) + (otherwise is null ? string.Empty : $" ELSE {otherwise}") + " END";

    internal static BoundExpression BindCase(Column self, Schema schema, (Column Condition, Column Value)[] branches, Column? otherwise)
    {
        var conditions = branches.Select(b =>
        {
            var bound = b.Condition.Bind(schema);
            return bound.Type is BooleanType or NullType
                ? bound.CastTo(BooleanType.Default)
                : throw new SchemaException($"Cannot evaluate {self}: the condition {b.Condition} is {ExpressionTypes.Name(bound.Type)}, not boolean.");
        }).ToArray();
        var values = branches.Select(b => b.Value).Append(otherwise).OfType<Column>().ToArray();
        var (type, bound) = CommonValues(self, "CASE WHEN", values, schema);
        var hasOtherwise = otherwise is not null;
        return new BoundExpression(type, batch =>
        {
            var n = batch.Length;
            var choice = new int[n];
            choice.AsSpan().Fill(hasOtherwise ? conditions.Length : -1);
            for (var j = conditions.Length - 1; j >= 0; j--)
            {
                // Later branches first, so that earlier matches overwrite them.
                var condition = (BooleanArray)conditions[j].Evaluate(batch);
                var valid = ArrowArrays.Validity(condition);
                var bits = condition.ValueBuffer.Span;
                for (var r = 0; r < n; r++)
                {
                    if (ArrowArrays.IsValid(valid, condition.Offset, r) && ArrowArrays.IsValid(bits, condition.Offset, r))
                    {
                        choice[r] = j;
                    }
                }
            }

            return Gather(type, bound, choice, batch);
        });
    }

    /// <summary>Binds values that are merged into one column and casts them to their common type.</summary>
    internal static (IArrowType Type, BoundExpression[] Values) CommonValues(Column self, string what, Column[] values, Schema schema)
    {
        var bound = values.Select(v => v.Bind(schema)).ToArray();
        IArrowType type = NullType.Default;
        for (var i = 0; i < bound.Length; i++)
        {
            type = ExpressionTypes.Common(type, bound[i].Type, stringsToDates: false)
                ?? throw new SchemaException($"Cannot evaluate {self}: {what} mixes {ExpressionTypes.Name(type)} and {ExpressionTypes.Name(bound[i].Type)} ({values[i]}). Cast the values to one type.");
        }

        return (type, bound.Select(b => type is NullType ? b : b.CastTo(type)).ToArray());
    }

    /// <summary>Row r takes its value from <c>values[choice[r]]</c>, or null when the choice is -1.</summary>
    internal static IArrowArray Gather(IArrowType type, BoundExpression[] values, int[] choice, RecordBatch batch)
    {
        var n = batch.Length;
        if (type is NullType)
        {
            return new NullArray(n);
        }

        var used = new bool[values.Length];
        foreach (var c in choice)
        {
            if (c >= 0)
            {
                used[c] = true;
            }
        }

        // Evaluate only the values some row takes, then gather them with one take over their concatenation.
        var arrays = new List<IArrowArray>();
        var start = new int[values.Length];
        for (var k = 0; k < values.Length; k++)
        {
            if (used[k])
            {
                start[k] = arrays.Count * n;
                arrays.Add(values[k].Evaluate(batch));
            }
        }

        if (arrays.Count == 0)
        {
            return ArrayFactory.Nulls(type, n);
        }

        var indices = new int[n];
        for (var r = 0; r < n; r++)
        {
            indices[r] = choice[r] < 0 ? -1 : start[choice[r]] + r;
        }

        return ArrowArrays.Take(ArrowArrays.Concat(arrays), indices);
    }
}

/// <summary>Spark's <c>coalesce</c>: the first non-null value.</summary>
internal sealed class CoalesceColumn(Column[] values) : Column
{
    public override string ToString() => "coalesce(" + string.Join(", ", values.Select(v => v.ToString())) + ")";

    internal override BoundExpression Bind(Schema schema)
    {
        var (type, bound) = CaseWhenColumn.CommonValues(this, "coalesce", values, schema);
        return new BoundExpression(type, batch =>
        {
            var n = batch.Length;
            var choice = new int[n];
            choice.AsSpan().Fill(-1);
            var open = n;
            for (var k = 0; k < bound.Length && open > 0; k++)
            {
                var array = bound[k].Evaluate(batch);
                var valid = array is NullArray ? null : ArrayFactory.AndValidity(n, array);
                if (array is NullArray)
                {
                    continue;
                }

                for (var r = 0; r < n; r++)
                {
                    if (choice[r] < 0 && (valid is null || ArrayFactory.Get(valid, r)))
                    {
                        choice[r] = k;
                        open--;
                    }
                }
            }

            return CaseWhenColumn.Gather(type, bound, choice, batch);
        });
    }
}
