using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>
/// Builds column expressions, like Spark's <c>functions</c>. Import it with <c>using static Mlops.Features.Functions;</c>
/// to write <c>frame.Filter(Col("age") &gt;= 18 &amp; Col("country").IsIn("FR", "DE"))</c>.
/// </summary>
public static class Functions
{
    /// <summary>A reference to the column named <paramref name="name"/>.</summary>
    public static Column Col(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ColumnReference(name);
    }

    /// <summary>
    /// A literal: null, bool, sbyte, byte (as smallint), short, int, long, float, double, string, char,
    /// <see cref="DateOnly"/> (date), <see cref="DateTime"/> or <see cref="DateTimeOffset"/> (timestamp in
    /// microseconds, UTC) or <c>double[]</c> (vector). A <see cref="Column"/> is returned as is.
    /// </summary>
    /// <exception cref="ArgumentException">The value's type has no column type.</exception>
    public static Column Lit(object? value) => value switch
    {
        null => new LiteralColumn(null, NullType.Default),
        Column c => c,
        bool v => new LiteralColumn(v, BooleanType.Default),
        sbyte v => new LiteralColumn(v, Int8Type.Default),
        byte v => new LiteralColumn((short)v, Int16Type.Default),
        short v => new LiteralColumn(v, Int16Type.Default),
        int v => new LiteralColumn(v, Int32Type.Default),
        long v => new LiteralColumn(v, Int64Type.Default),
        float v => new LiteralColumn(v, FloatType.Default),
        double v => new LiteralColumn(v, DoubleType.Default),
        string v => new LiteralColumn(v, StringType.Default),
        char v => new LiteralColumn(v.ToString(), StringType.Default),
        DateOnly v => new LiteralColumn(ArrowValues.ToDate32(v), Date32Type.Default),
        DateTime or DateTimeOffset => new LiteralColumn(ArrowValues.ToTimestamp(value, TimeUnit.Microsecond), ExpressionTypes.Timestamp),
        double[] v => new LiteralColumn(v.Clone(), ExpressionTypes.Vector),
        _ => throw new ArgumentException($"A {value.GetType().Name} cannot be a literal; use a number, string, bool, DateOnly, DateTime or double[].", nameof(value)),
    };

    /// <summary>Starts a CASE WHEN: rows where <paramref name="condition"/> is true take <paramref name="value"/>. Continue with <see cref="WhenColumn.When"/> and <see cref="WhenColumn.Otherwise"/>.</summary>
    public static WhenColumn When(Column condition, Column value)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return new WhenColumn([(condition, value ?? Lit(null))]);
    }

    /// <summary>SQL NOT, the same as <c>!column</c>.</summary>
    public static Column Not(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return !column;
    }

    /// <summary>The first non-null value of the arguments, row by row.</summary>
    public static Column Coalesce(params Column[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0)
        {
            throw new ArgumentException("Coalesce needs at least one column.", nameof(columns));
        }

        return new CoalesceColumn(columns.Select(c => c ?? Lit(null)).ToArray());
    }

    /// <summary>True where the value is null.</summary>
    public static Column IsNull(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.IsNull();
    }

    /// <summary>True where a float or double value is NaN.</summary>
    public static Column IsNaN(Column column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.IsNaN();
    }
}
