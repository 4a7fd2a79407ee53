using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>A reference to a frame column by name.</summary>
internal sealed class ColumnReference(string name) : Column
{
    internal override string OutputName => name;

    public override string ToString() => name;

    internal override BoundExpression Bind(Schema schema)
    {
        var index = SchemaChecks.IndexOf(schema, name, "resolve a column expression");
        return new BoundExpression(schema.FieldsList[index].DataType, batch => batch.Column(index));
    }
}

/// <summary>A constant, broadcast to the length of each batch.</summary>
internal sealed class LiteralColumn : Column
{
    private readonly object? _value;
    private readonly IArrowType _type;
    /// <param name="value">The value in Arrow storage form (days for dates, microseconds for timestamps), or null.</param>
    /// <param name="type">Its type; <see cref="NullType"/> for the untyped null.</param>
    public LiteralColumn(object? value, IArrowType type)
    {
        _value = value;
        _type = type;
    }

    public override string ToString() => _value switch
    {
        null => "NULL",
        bool b => b ? "true" : "false",
        int days when _type is Date32Type => "DATE '" + ArrowValues.Format(DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + days)) + "'",
        long micros when _type is TimestampType => "TIMESTAMP '" + ArrowValues.Format(ArrowValues.FromTimestamp(micros, TimeUnit.Microsecond)) + "'",
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        double d => JavaNumberFormat.Format(d, stackalloc char[64]).ToString(),
        float f => JavaNumberFormat.Format(f, stackalloc char[64]).ToString() + "F",
        string s => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'",
        double[] v => ArrowValues.Format(v),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => _value.ToString() ?? string.Empty,
    };

    internal override BoundExpression Bind(Schema schema) =>
        new(_type, batch => ArrayFactory.Broadcast(_type, _value, batch.Length), isConstant: true);
}

/// <summary>An expression under another name.</summary>
internal sealed class AliasColumn(Column inner, string name) : Column
{
    internal override string OutputName => name;

    public override string ToString() => $"{inner} AS {name}";

    internal override BoundExpression Bind(Schema schema) => inner.Bind(schema);
}
