using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Arrow;

namespace Mlops.Features;

/// <summary>Renders frames and schemas as text, in Spark's layout.</summary>
internal static class FrameText
{
    public static string Render(Schema schema, IReadOnlyList<Row> rows, bool more, int truncate)
    {
        var names = schema.FieldsList.Select(f => f.Name).ToArray();
        var cells = rows.Select(r => r.Values.Select(v => Cut(ArrowValues.Format(v), truncate)).ToArray()).ToList();
        var widths = names.Select((n, c) => Math.Max(3, Math.Max(n.Length, cells.Count == 0 ? 0 : cells.Max(r => r[c].Length)))).ToArray();
        var sb = new StringBuilder();
        var border = "+" + string.Join("+", widths.Select(w => new string('-', w))) + "+\n";
        sb.Append(border);
        sb.Append('|').Append(string.Join("|", names.Select((n, c) => n.PadLeft(widths[c])))).Append("|\n");
        sb.Append(border);
        foreach (var row in cells)
        {
            sb.Append('|').Append(string.Join("|", row.Select((v, c) => v.PadLeft(widths[c])))).Append("|\n");
        }

        sb.Append(border);
        if (more)
        {
            sb.Append("only showing top ").Append(rows.Count).Append(rows.Count == 1 ? " row\n" : " rows\n");
        }

        return sb.ToString();
    }

    public static string RenderSchema(Schema schema)
    {
        var sb = new StringBuilder("root\n");
        foreach (var f in schema.FieldsList)
        {
            sb.Append(" |-- ").Append(f.Name).Append(": ").Append(TypeName(f.DataType)).Append(" (nullable = ").Append(f.IsNullable ? "true" : "false").Append(")\n");
        }

        return sb.ToString();
    }

    public static string TypeName(IArrowType type) => type switch
    {
        BooleanType => "boolean",
        Int8Type => "tinyint",
        Int16Type => "smallint",
        Int32Type => "int",
        Int64Type => "bigint",
        FloatType => "float",
        DoubleType => "double",
        StringType => "string",
        Date32Type or Date64Type => "date",
        TimestampType t => "timestamp(" + t.Unit.ToString().ToLowerInvariant() + (t.Timezone is null ? string.Empty : ", " + t.Timezone) + ")",
        ListType l => "array<" + TypeName(l.ValueDataType) + ">",
        _ => type.Name,
    };

    private static string Cut(string s, int truncate) =>
        truncate > 0 && s.Length > truncate ? (truncate < 4 ? s[..truncate] : s[..(truncate - 3)] + "...") : s;
}
