using System.Text.Json;
using Apache.Arrow;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Features.Server.Http;

/// <summary>
/// Feast's column-oriented JSON (<c>{"column": [values]}</c>, a pandas frame's <c>to_dict("list")</c>) to a frame typed
/// by a feature view's declarations: join keys by their entity's type, the source's timestamp columns as timestamps,
/// features by their schema; other columns by their JSON.
/// </summary>
internal static class DataFrameJson
{
    public static Frame ToFrame(JsonElement df, string field, Func<string, FeatureValueType?> typeOf)
    {
        if (df.ValueKind != JsonValueKind.Object)
        {
            throw FeatureServerRequestException.BadRequest($"'{field}' is {JsonValues.Describe(df)}; give an object of columns, each an array of values.");
        }

        var names = new List<string>();
        var columns = new List<List<object?>>();
        var fields = new List<Field>();
        foreach (var property in df.EnumerateObject())
        {
            if (names.Contains(property.Name))
            {
                throw FeatureServerRequestException.BadRequest($"'{field}' has column '{property.Name}' twice.");
            }

            var type = typeOf(property.Name);
            var values = ReadColumn(property.Value, type, "Column", property.Name);
            if (columns.Count > 0 && values.Count != columns[0].Count)
            {
                throw FeatureServerRequestException.BadRequest($"Column '{property.Name}' has {values.Count} values but column '{names[0]}' has {columns[0].Count}; give every column one value per row.");
            }

            if (type is null)
            {
                Unify(values, property.Name);
            }

            names.Add(property.Name);
            columns.Add(values);
            fields.Add(new Field(property.Name, JsonValues.ArrowType(type, values, "Column", property.Name), true));
        }

        if (names.Count == 0)
        {
            throw FeatureServerRequestException.BadRequest($"'{field}' has no columns.");
        }

        var rows = new IReadOnlyList<object?>[columns[0].Count];
        for (var r = 0; r < rows.Length; r++)
        {
            var row = new object?[columns.Count];
            for (var c = 0; c < columns.Count; c++)
            {
                row[c] = columns[c][r];
            }

            rows[r] = row;
        }

        return Frame.FromRows(new Schema(fields, null), rows);
    }

    /// <summary>The values of one JSON array, typed.</summary>
    public static List<object?> ReadColumn(JsonElement array, FeatureValueType? type, string what, string name)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw FeatureServerRequestException.BadRequest($"{what} '{name}' is {JsonValues.Describe(array)}; give an array with one value per row.");
        }

        var values = new List<object?>(array.GetArrayLength());
        var row = 0;
        foreach (var item in array.EnumerateArray())
        {
            values.Add(JsonValues.Read(item, type, what, name, row++));
        }

        return values;
    }

    /// <summary>The type a view declares for a column (named after the field mapping): join key, timestamp or feature.</summary>
    public static FeatureValueType? DeclaredType(RegistrySnapshot snapshot, FeatureView view, string column)
    {
        if (column == view.Source.TimestampField || column == view.Source.CreatedTimestampField)
        {
            return FeatureValueType.UnixTimestamp;
        }

        foreach (var entityName in view.Entities)
        {
            if (snapshot.Entities.TryGetValue(entityName, out var entity) && entity.JoinKeys.Contains(column))
            {
                return entity.ValueType;
            }
        }

        return view.FindFeature(column)?.Type;
    }

    /// <summary>A column nothing declares takes one type: integers widen to doubles beside floats; other mixes are refused.</summary>
    private static void Unify(List<object?> values, string column)
    {
        Type? kind = null;
        var widen = false;
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            var type = value.GetType();
            if (kind is null || kind == type)
            {
                kind = type;
            }
            else if ((kind == typeof(long) && type == typeof(double)) || (kind == typeof(double) && type == typeof(long)))
            {
                kind = typeof(double);
                widen = true;
            }
            else
            {
                throw FeatureServerRequestException.BadRequest($"Column '{column}' mixes JSON value types ({Name(kind)} and {Name(type)}); give one type per column.");
            }
        }

        if (widen)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] is long l)
                {
                    values[i] = (double)l;
                }
            }
        }
    }

    private static string Name(Type type) =>
        type == typeof(long) || type == typeof(double) ? "numbers" : type == typeof(string) ? "strings" : type == typeof(bool) ? "booleans" : "arrays";
}
