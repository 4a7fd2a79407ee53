using Mlops.Features.IO;
using Mlops.Features.Text;

namespace Mlops.Features.Csv;

/// <summary>Builds the lazy frame behind <see cref="Frame.ReadCsv(string, CsvReadOptions?)"/>.</summary>
internal static class CsvFrameReader
{
    public static Frame Read(string path, CsvReadOptions options, FrameSession session, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(session);
        options.EnsureValid();
        var settings = new CsvSettings(options) { DegreeOfParallelism = session.DegreeOfParallelism, MaxColumns = options.MaxColumns ?? session.MaxColumns };
        var files = SourceFiles.Expand(path, settings.Resolver ?? session.Resolver, extension: null, cancellationToken);
        var inferred = settings.Schema is null;
        var schema = settings.Schema ?? CsvSchemaInference.Infer(files, settings, cancellationToken);
        var note = inferred && settings.InferSchema ? TextFileSampler.InferenceNote(settings.SamplingRows) : null;
        var plan = TextSchemaPlan.Create(schema, settings.CorruptColumn, "CSV", allowVectors: false, note);
        var partitions = files.Select(file => (FramePartition)(ct => CsvFileReader.Read(file, settings, plan, ct)));
        return Frame.FromPartitions(schema, partitions, TextSource.EstimateRecords(files, cancellationToken), rowCountIsExact: false).WithSession(session);
    }
}
