using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>Row filters and computed columns from <see cref="Column"/> expressions.</summary>
public sealed partial class Frame
{
    /// <summary>
    /// Keeps the rows where <paramref name="condition"/> is true; rows where it is false or null are dropped, as in
    /// Spark. Lazy; the condition is evaluated a batch at a time.
    /// </summary>
    /// <exception cref="SchemaException">The condition refers to a missing column, has a type error, or is not boolean.</exception>
    public Frame Filter(Column condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var bound = condition.Bind(Schema);
        if (bound.Type is not (BooleanType or NullType))
        {
            throw new SchemaException($"Cannot filter on {condition}: it is {ExpressionTypes.Name(bound.Type)}, not boolean.");
        }

        return MapBatches(Schema, batch => FilterBatch(batch, bound));
    }

    /// <summary>The same as <see cref="Filter"/>.</summary>
    public Frame Where(Column condition) => Filter(condition);

    /// <summary>
    /// Adds a column computed by <paramref name="column"/>, or replaces the column of that name in place, as Spark's
    /// <c>withColumn</c>. Lazy; the expression is evaluated a batch at a time.
    /// </summary>
    /// <exception cref="SchemaException">The expression refers to a missing column, has a type error, or is an untyped null (cast it).</exception>
    public Frame WithColumn(string name, Column column)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(column);
        var bound = column.Bind(Schema);
        if (!ExpressionTypes.IsFrameType(bound.Type))
        {
            throw new SchemaException(bound.Type is NullType
                ? $"Cannot add column '{name}' from {column}: an untyped null has no column type. Cast it, e.g. Lit(null).Cast(\"double\")."
                : $"Cannot add column '{name}' from {column}: frames cannot hold {ExpressionTypes.Name(bound.Type)}.");
        }

        var index = Schema.GetFieldIndex(name);
        var field = new Field(name, bound.Type, nullable: true);
        var fields = Schema.FieldsList.ToList();
        if (index >= 0)
        {
            fields[index] = field;
        }
        else
        {
            fields.Add(field);
        }

        var schema = new Schema(fields, Schema.Metadata);
        var target = index >= 0 ? index : fields.Count - 1;
        return MapBatches(
            schema,
            batch =>
            {
                var columns = new IArrowArray[schema.FieldsList.Count];
                for (var c = 0; c < columns.Length; c++)
                {
                    columns[c] = c == target ? bound.Evaluate(batch) : batch.Column(c);
                }

                return new RecordBatch(schema, columns, batch.Length);
            },
            preservesRowCount: true);
    }

    private static RecordBatch FilterBatch(RecordBatch batch, BoundExpression condition)
    {
        var result = condition.Evaluate(batch);
        if (result is not BooleanArray mask)
        {
            return ArrowArrays.Take(batch, ReadOnlySpan<int>.Empty); // An all-null (untyped) condition keeps nothing.
        }

        var validity = ArrowArrays.Validity(mask);
        var values = mask.ValueBuffer.Span;
        var indices = new int[batch.Length];
        var count = 0;
        for (var r = 0; r < indices.Length; r++)
        {
            if (ArrowArrays.IsValid(validity, mask.Offset, r) && ArrowArrays.IsValid(values, mask.Offset, r))
            {
                indices[count++] = r;
            }
        }

        return count == batch.Length ? batch : ArrowArrays.Take(batch, indices.AsSpan(0, count));
    }
}
