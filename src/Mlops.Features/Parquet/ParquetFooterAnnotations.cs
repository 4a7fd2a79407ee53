using System.Reflection;
using Parquet;
using Parquet.Meta;

namespace Mlops.Features.Parquet;

/// <summary>
/// Puts logical-type annotations on the schema elements of a file being written. Parquet.Net derives a
/// column's annotation from the CLR type of its values, so raw int64 timestamps, int32 days and UTF-8 byte
/// arrays would be declared as plain integers and binary; its typed alternatives (DateTime, DateOnly,
/// string) cost a conversion or an allocation per value. The writer's schema elements are public Thrift
/// objects but are reachable only through its footer, so this reaches them by reflection, once per file,
/// and fails loudly if a future Parquet.Net moves them (the tests cover every annotated type).
/// </summary>
internal static class ParquetFooterAnnotations
{
    private static readonly FieldInfo? FooterField = typeof(ParquetWriter).GetField("_footer", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly MethodInfo? LeavesMethod = FooterField?.FieldType.GetMethod("GetWriteableSchema", BindingFlags.Instance | BindingFlags.Public, System.Type.EmptyTypes);

    public static void Apply(ParquetWriter writer, IReadOnlyList<ParquetWriteColumn> columns)
    {
        if (columns.All(c => c.Annotate is null))
        {
            return;
        }

        var footer = FooterField?.GetValue(writer);
        if (footer is null || LeavesMethod?.Invoke(footer, null) is not SchemaElement[] leaves || leaves.Length != columns.Count)
        {
            throw new NotSupportedException($"This version of Parquet.Net ({typeof(ParquetWriter).Assembly.GetName().Version}) does not expose its schema elements as 6.1 does; Mlops.Features needs a compatible Parquet.Net to annotate timestamp, date, string and small-integer columns.");
        }

        for (var i = 0; i < leaves.Length; i++)
        {
            columns[i].Annotate?.Invoke(leaves[i]);
        }
    }
}
