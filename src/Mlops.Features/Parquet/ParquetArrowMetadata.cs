using System.Text.Json;
using Apache.Arrow;

namespace Mlops.Features.Parquet;

/// <summary>
/// Carries Arrow schema and field metadata (for example the slot names a VectorAssembler stores on its
/// output field) through Parquet, as one JSON entry in the file's key-value metadata.
/// </summary>
internal static class ParquetArrowMetadata
{
    /// <summary>The key-value metadata key.</summary>
    public const string Key = "mlops.arrow.metadata";

    /// <summary>The JSON for a schema's metadata, or null when neither the schema nor any field has any.</summary>
    public static string? Encode(Schema schema)
    {
        var fields = schema.FieldsList
            .Where(f => f.HasMetadata)
            .ToDictionary(f => f.Name, f => f.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        var schemaMetadata = schema.HasMetadata ? schema.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value) : null;
        if (fields.Count == 0 && schemaMetadata is null)
        {
            return null;
        }

        return JsonSerializer.Serialize(new Document { Schema = schemaMetadata, Fields = fields });
    }

    /// <summary>Applies the metadata stored in a file to the fields read from it; unknown or malformed entries are ignored.</summary>
    public static Schema Apply(IReadOnlyList<Field> fields, IReadOnlyDictionary<string, string> fileMetadata)
    {
        Document? document = null;
        if (fileMetadata.TryGetValue(Key, out var json))
        {
            try
            {
                document = JsonSerializer.Deserialize<Document>(json);
            }
            catch (JsonException)
            {
                // Metadata is advisory: a file edited by another tool still reads, just without it.
            }
        }

        var result = fields.Select(f => document?.Fields is { } all && all.TryGetValue(f.Name, out var meta) && meta.Count > 0
            ? new Field(f.Name, f.DataType, f.IsNullable, meta)
            : f);
        return new Schema(result, document?.Schema);
    }

    private sealed class Document
    {
        public Dictionary<string, string>? Schema { get; set; }

        public Dictionary<string, Dictionary<string, string>>? Fields { get; set; }
    }
}
