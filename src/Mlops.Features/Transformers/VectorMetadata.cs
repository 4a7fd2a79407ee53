using System.Text;
using System.Text.Json;
using Apache.Arrow;

namespace Mlops.Features;

/// <summary>
/// Reads and writes the vector attributes Spark ML keeps in a vector column's metadata: the size and the
/// slot names, under the key <c>ml_attr</c> as
/// <c>{"attrs":{"numeric":[{"idx":0,"name":"user_age"},...]},"num_attrs":3}</c>.
/// <see cref="VectorAssembler"/> writes them; the ML.NET interop exposes the names as slot names.
/// </summary>
public static class VectorMetadata
{
    /// <summary>The field metadata key holding the attributes, as in Spark ML.</summary>
    public const string Key = "ml_attr";

    /// <summary>The attribute kind Spark uses for ordinary numeric slots.</summary>
    internal const string NumericKind = "numeric";

    private static readonly string[] Kinds = [NumericKind, "binary", "nominal"];

    /// <summary>The vector size recorded in the field's metadata, or <see langword="null"/> if none is recorded.</summary>
    /// <exception cref="DataFormatException">The metadata is not valid <c>ml_attr</c> JSON.</exception>
    public static int? GetSize(Field field) => Read(field)?.Size;

    /// <summary>
    /// The slot names recorded in the field's metadata, in slot order, or <see langword="null"/> if the metadata
    /// records none. A slot without a name reads as an empty string.
    /// </summary>
    /// <exception cref="DataFormatException">The metadata is not valid <c>ml_attr</c> JSON.</exception>
    public static IReadOnlyList<string>? GetSlotNames(Field field)
    {
        var slots = Read(field)?.Slots;
        return slots?.Select(s => s.Name ?? string.Empty).ToArray();
    }

    /// <summary>A copy of <paramref name="field"/> whose metadata records these numeric slot names (and their count as the size).</summary>
    public static Field WithSlotNames(Field field, IEnumerable<string> slotNames)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(slotNames);
        var slots = slotNames.Select(n => new VectorSlot(n ?? throw new ArgumentException("Slot names cannot be null.", nameof(slotNames)), NumericKind)).ToArray();
        return WithMetadata(field, Write(slots.Length, slots));
    }

    /// <summary>
    /// A copy of <paramref name="field"/> whose metadata records only the vector size, as Spark's
    /// <c>VectorSizeHint</c> does; lets a transformer know a size without reading the data.
    /// </summary>
    public static Field WithSize(Field field, int size)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return WithMetadata(field, Write(size, null));
    }

    /// <summary>The size and slots recorded in <paramref name="field"/>, or <see langword="null"/> when it has no <c>ml_attr</c> entry.</summary>
    internal static VectorAttributes? Read(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.Metadata is null || !field.Metadata.TryGetValue(Key, out var json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            int? size = root.TryGetProperty("num_attrs", out var n) ? n.GetInt32() : null;
            VectorSlot[]? slots = null;
            if (root.TryGetProperty("attrs", out var groups))
            {
                var found = new List<(int Index, VectorSlot Slot)>();
                foreach (var group in groups.EnumerateObject())
                {
                    foreach (var attr in group.Value.EnumerateArray())
                    {
                        var index = attr.GetProperty("idx").GetInt32();
                        var name = attr.TryGetProperty("name", out var nameElement) ? nameElement.GetString() : null;
                        found.Add((index, new VectorSlot(name, group.Name)));
                    }
                }

                var count = Math.Max(size ?? 0, found.Count == 0 ? 0 : found.Max(f => f.Index) + 1);
                slots = new VectorSlot[count];
                for (var i = 0; i < count; i++)
                {
                    slots[i] = new VectorSlot(null, NumericKind);
                }

                foreach (var (index, slot) in found)
                {
                    if (index < 0)
                    {
                        throw new FormatException($"Negative slot index {index}.");
                    }

                    slots[index] = slot;
                }

                size ??= count;
            }

            return new VectorAttributes(size, slots);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new DataFormatException($"The '{Key}' metadata is not valid Spark ML attribute JSON ({e.Message}).", column: field.Name, innerException: e);
        }
    }

    /// <summary>The <c>ml_attr</c> JSON for a vector of <paramref name="size"/> slots, with attributes when <paramref name="slots"/> is given.</summary>
    internal static string Write(int size, IReadOnlyList<VectorSlot>? slots)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (slots is not null)
            {
                json.WriteStartObject("attrs");
                foreach (var kind in Kinds.Concat(slots.Select(s => s.Kind)).Distinct(StringComparer.Ordinal))
                {
                    if (!slots.Any(s => s.Kind == kind))
                    {
                        continue;
                    }

                    json.WriteStartArray(kind);
                    for (var i = 0; i < slots.Count; i++)
                    {
                        if (slots[i].Kind != kind)
                        {
                            continue;
                        }

                        json.WriteStartObject();
                        json.WriteNumber("idx", i);
                        if (slots[i].Name is { } name)
                        {
                            json.WriteString("name", name);
                        }

                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteNumber("num_attrs", size);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A copy of the field with <see cref="Key"/> set to <paramref name="json"/>, other metadata kept.</summary>
    internal static Field WithMetadata(Field field, string json)
    {
        var metadata = field.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(field.Metadata);
        metadata[Key] = json;
        return new Field(field.Name, field.DataType, field.IsNullable, metadata);
    }
}

/// <summary>One slot of a vector: its name (if any) and Spark ML attribute kind (<c>numeric</c>, <c>binary</c>, <c>nominal</c>).</summary>
internal readonly record struct VectorSlot(string? Name, string Kind);

/// <summary>What a vector column's metadata records: the size and, optionally, one attribute per slot.</summary>
internal sealed record VectorAttributes(int? Size, VectorSlot[]? Slots);
