using Apache.Arrow;
using Apache.Arrow.Types;

namespace Mlops.Features.Text;

/// <summary>
/// How a text reader maps a schema to its input: the data columns read from the text, in order, and the
/// optional corrupt-record column that is filled by the reader instead. Immutable.
/// </summary>
internal sealed class TextSchemaPlan
{
    private TextSchemaPlan(Schema schema, int corruptIndex, int[] dataToSchema, TextColumnKind[] kinds, string? inferenceNote)
    {
        Schema = schema;
        CorruptIndex = corruptIndex;
        DataToSchema = dataToSchema;
        Kinds = kinds;
        InferenceNote = inferenceNote;
        DataNames = dataToSchema.Select(i => schema.FieldsList[i].Name).ToArray();
    }

    /// <summary>The frame's schema, the corrupt-record column included.</summary>
    public Schema Schema { get; }

    /// <summary>The schema index of the corrupt-record column, or -1.</summary>
    public int CorruptIndex { get; }

    /// <summary>For each data column, its index in <see cref="Schema"/>.</summary>
    public int[] DataToSchema { get; }

    /// <summary>For each data column, its storage kind.</summary>
    public TextColumnKind[] Kinds { get; }

    /// <summary>For each data column, its name.</summary>
    public string[] DataNames { get; }

    /// <summary>Said after a value error when the schema was inferred from a sample, or null.</summary>
    public string? InferenceNote { get; }

    /// <summary>The number of columns read from the text.</summary>
    public int DataColumnCount => DataToSchema.Length;

    /// <summary>Builds a plan, checking that the reader can produce every column.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="corruptColumn">The name of the corrupt-record column; a column of that name is not read from the text.</param>
    /// <param name="reader">The reader's name for messages ("CSV", "JSON").</param>
    /// <param name="allowVectors">Whether <c>list&lt;double&gt;</c> columns can be read.</param>
    /// <param name="inferenceNote">The note appended to value errors when the schema was inferred, or null.</param>
    /// <exception cref="SchemaException">A column has a type the reader cannot produce, or the corrupt-record column is not a string.</exception>
    public static TextSchemaPlan Create(Schema schema, string corruptColumn, string reader, bool allowVectors, string? inferenceNote)
    {
        var corruptIndex = -1;
        var data = new List<int>();
        var kinds = new List<TextColumnKind>();
        for (var i = 0; i < schema.FieldsList.Count; i++)
        {
            var field = schema.FieldsList[i];
            if (field.Name == corruptColumn)
            {
                if (field.DataType is not StringType)
                {
                    throw new SchemaException($"The corrupt-record column '{corruptColumn}' must be a string column; the schema makes it {FrameText.TypeName(field.DataType)}.");
                }

                corruptIndex = i;
                continue;
            }

            var kind = TextColumnKinds.Of(field.DataType);
            if (kind is null || (kind == TextColumnKind.Vector && !allowVectors))
            {
                throw new SchemaException(
                    $"Column '{field.Name}' has type {FrameText.TypeName(field.DataType)}, which the {reader} reader cannot produce. "
                    + "Supported: boolean, tinyint, smallint, int, bigint, float, double, string, date, timestamp"
                    + (allowVectors ? ", array<double>." : "."));
            }

            data.Add(i);
            kinds.Add(kind.Value);
        }

        if (data.Count == 0)
        {
            throw new SchemaException($"The schema has no column to read from the {reader} input.");
        }

        return new TextSchemaPlan(schema, corruptIndex, data.ToArray(), kinds.ToArray(), inferenceNote);
    }
}
