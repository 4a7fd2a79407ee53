using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.Json;

namespace Mlops.Features.FeatureStore.Retrieval;

/// <summary>Opens a view's batch source as a frame and checks its columns against the view.</summary>
internal static class SourceReader
{
    public static ViewSlice Slice(FeatureView view, IReadOnlyList<string> joinKeys, IReadOnlyList<string> features, IReadOnlyList<string> outputNames, FrameSession session)
    {
        var file = view.Source.BatchSource
            ?? throw new FeatureReferenceException($"Feature view '{view.Name}' reads push source '{view.Source.Name}', which has no batch source: it is online only.");
        var frame = file.Format switch
        {
            FileFormat.Parquet => session.ReadParquet(file.Path),
            FileFormat.Csv => session.ReadCsv(file.Path, header: true),
            FileFormat.JsonLines => session.ReadJson(file.Path, new JsonReadOptions()),
            _ => throw new FeatureDefinitionException($"feature view '{view.Name}': unknown source format {file.Format}."),
        };
        frame = Map(frame, view.Source);
        Require(frame.Schema, view, view.Source.TimestampField, "timestamp field", t => t is TimestampType or Date32Type or Date64Type);
        if (view.Source.CreatedTimestampField is { } created)
        {
            Require(frame.Schema, view, created, "created timestamp field", t => t is TimestampType or Date32Type or Date64Type);
        }

        foreach (var key in joinKeys)
        {
            Require(frame.Schema, view, key, "join key", t => KeyArrays.KindOf(t) is not null);
        }

        foreach (var feature in features)
        {
            var declared = view.FindFeature(feature)!.Type;
            Require(frame.Schema, view, feature, $"feature ({declared})", t => FeatureValueTypes.Accepts(declared, t));
        }

        return new ViewSlice(view, frame, joinKeys, features, outputNames);
    }

    /// <summary>Renames source columns by the field mapping (join keys are never mapped, as in Feast).</summary>
    public static Frame Map(Frame frame, DataSource source)
    {
        foreach (var (from, to) in source.FieldMapping)
        {
            frame = frame.WithColumnRenamed(from, to);
        }

        return frame;
    }

    private static void Require(Schema schema, FeatureView view, string column, string role, Func<IArrowType, bool> accepts)
    {
        var index = schema.GetFieldIndex(column);
        if (index < 0)
        {
            throw new SchemaException($"Feature view '{view.Name}': its source '{view.Source.Name}' has no {role} column '{column}'; it has {string.Join(", ", schema.FieldsList.Select(f => f.Name))}.");
        }

        if (!accepts(schema.FieldsList[index].DataType))
        {
            throw new SchemaException($"Feature view '{view.Name}': column '{column}' ({role}) of source '{view.Source.Name}' is {schema.FieldsList[index].DataType.Name}, which does not fit.");
        }
    }
}
