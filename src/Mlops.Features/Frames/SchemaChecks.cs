using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features;

/// <summary>Schema look-ups that fail with messages naming the column and what exists instead.</summary>
internal static class SchemaChecks
{
    public static int IndexOf(Schema schema, string column, string operation)
    {
        ArgumentNullException.ThrowIfNull(column);
        var index = schema.GetFieldIndex(column);
        if (index < 0)
        {
            throw new SchemaException($"Cannot {operation}: column '{column}' does not exist. Columns: {string.Join(", ", schema.FieldsList.Select(f => f.Name))}.");
        }

        return index;
    }

    public static void RequireSameFields(Schema expected, Schema actual, string what)
    {
        if (expected.FieldsList.Count != actual.FieldsList.Count)
        {
            throw new SchemaException($"The schema of {what} has {actual.FieldsList.Count} columns; {expected.FieldsList.Count} were expected.");
        }

        for (var i = 0; i < expected.FieldsList.Count; i++)
        {
            var e = expected.FieldsList[i];
            var a = actual.FieldsList[i];
            if (e.Name != a.Name || !SameType(e.DataType, a.DataType))
            {
                throw new SchemaException($"The schema of {what} has column {i} as '{a.Name}' {FrameText.TypeName(a.DataType)}; '{e.Name}' {FrameText.TypeName(e.DataType)} was expected.");
            }
        }
    }

    public static bool SameType(IArrowType a, IArrowType b) => (a, b) switch
    {
        (TimestampType x, TimestampType y) => x.Unit == y.Unit,
        (ListType x, ListType y) => SameType(x.ValueDataType, y.ValueDataType),
        _ => a.TypeId == b.TypeId,
    };
}
