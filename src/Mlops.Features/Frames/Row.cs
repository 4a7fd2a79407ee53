using Apache.Arrow;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>One row of a collected frame: values by position or column name, as CLR objects.</summary>
public sealed class Row
{
    private readonly RowSchema _schema;
    private readonly object?[] _values;

    internal Row(RowSchema schema, object?[] values)
    {
        _schema = schema;
        _values = values;
    }

    /// <summary>The number of values.</summary>
    public int Count => _values.Length;

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Columns => _schema.Names;

    /// <summary>The value at a position.</summary>
    public object? this[int index] => _values[index];

    /// <summary>The value of a named column.</summary>
    /// <exception cref="SchemaException">There is no such column.</exception>
    public object? this[string column] => _values[_schema.IndexOf(column)];

    /// <summary>The value of a named column converted to <typeparamref name="T"/>; null stays null for reference and nullable types.</summary>
    public T? Get<T>(string column)
    {
        var value = this[column];
        return value switch
        {
            null => default,
            T t => t,
            _ => (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The values, in column order.</summary>
    public IReadOnlyList<object?> Values => _values;

    /// <inheritdoc/>
    public override string ToString() =>
        "Row(" + string.Join(", ", _schema.Names.Select((n, i) => n + "=" + ArrowValues.Format(_values[i]))) + ")";
}

/// <summary>Column names shared by the rows of one collect.</summary>
internal sealed class RowSchema
{
    private readonly Dictionary<string, int> _index;

    public RowSchema(Schema schema)
    {
        Names = schema.FieldsList.Select(f => f.Name).ToArray();
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Names.Count; i++)
        {
            _index.TryAdd(Names[i], i);
        }
    }

    public IReadOnlyList<string> Names { get; }

    public int IndexOf(string column) => _index.TryGetValue(column, out var i)
        ? i
        : throw new SchemaException($"Row has no column '{column}'. Columns: {string.Join(", ", Names)}.");
}
