using Mlops.Features.IO;
using Mlops.Features.Text;

namespace Mlops.Features.Json;

/// <summary>Builds the lazy frame behind <see cref="Frame.ReadJson(string, JsonReadOptions?)"/>.</summary>
internal static class JsonFrameReader
{
    public static Frame Read(string path, JsonReadOptions options, FrameSession session, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(session);
        options.EnsureValid();
        var settings = new JsonSettings(options) { DegreeOfParallelism = session.DegreeOfParallelism, MaxColumns = options.MaxColumns ?? session.MaxColumns };
        var files = SourceFiles.Expand(path, settings.Resolver ?? session.Resolver, extension: null, cancellationToken);
        var note = settings.Schema is null ? TextFileSampler.InferenceNote(settings.SamplingRows) : null;
        var schema = settings.Schema ?? JsonSchemaInference.Infer(files, settings, cancellationToken);
        var plan = TextSchemaPlan.Create(schema, settings.CorruptColumn, "JSON", allowVectors: true, note);
        var partitions = files.Select(file => (FramePartition)(ct => JsonFileReader.Read(file, settings, plan, ct)));
        return Frame.FromPartitions(schema, partitions, TextSource.EstimateRecords(files, cancellationToken), rowCountIsExact: false).WithSession(session);
    }
}
