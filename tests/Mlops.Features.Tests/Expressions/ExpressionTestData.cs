using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features.Tests.Expressions;

/// <summary>Small frames and a helper that evaluates an expression over them.</summary>
internal static class ExpressionTestData
{
    public static Schema Schema(params (string Name, IArrowType Type)[] fields) =>
        new(fields.Select(f => new Field(f.Name, f.Type, true)), null);

    /// <summary>A frame of one column per (name, type), values given row by row, two rows per partition.</summary>
    public static Frame Rows(Schema schema, params object?[][] rows) =>
        Frame.FromRows(schema, rows.Select(r => (IReadOnlyList<object?>)r).ToList(), batchSize: 2);

    /// <summary>The values of <paramref name="expression"/> for every row of <paramref name="frame"/>.</summary>
    public static object?[] Eval(Frame frame, Column expression) =>
        frame.WithColumn("__result", expression).Collect().Select(r => r["__result"]).ToArray();

    /// <summary>A one-column frame.</summary>
    public static Frame Single(IArrowType type, params object?[] values) =>
        Rows(Schema(("x", type)), values.Select(v => new[] { v }).ToArray());
}
