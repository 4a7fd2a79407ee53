using Apache.Arrow;
using Mlops.Features.Text;
using Mlops.Storage;

namespace Mlops.Features.Json;

/// <summary>Reads one JSON-lines file into record batches: the work of one partition of a JSON frame.</summary>
internal static class JsonFileReader
{
    /// <summary>Streams the file's batches; the file is opened when enumeration starts and closed when it ends.</summary>
    public static IEnumerable<RecordBatch> Read(StorageLocation file, JsonSettings settings, TextSchemaPlan plan, CancellationToken cancellationToken)
    {
        using var stream = TextSource.Open(file, cancellationToken);
        var lines = new JsonLineReader(stream, file.ToString(), settings.MaxRecordBytes);
        var parser = new JsonLineParser(plan, settings.MaxColumns);
        var batch = new TextBatchBuilder(plan, settings.Parser, settings.Mode, settings.BatchSize);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = ReadBatch(lines, parser, batch, settings.Mode);
            if (next is null)
            {
                yield break;
            }

            yield return next;
        }
    }

    private static RecordBatch? ReadBatch(JsonLineReader lines, JsonLineParser parser, TextBatchBuilder batch, ReadMode mode)
    {
        while (lines.ReadLine())
        {
            var line = lines.Current;
            var ok = parser.Parse(line, batch);
            if (!ok && (mode == ReadMode.FailFast || parser.OverColumnLimit))
            {
                throw new DataFormatException(parser.Error!, lines.Source, lines.Line, parser.ErrorColumn);
            }

            batch.EndRow(!ok, line);
            if (batch.IsFull && batch.Build() is { } full)
            {
                return full;
            }
        }

        return batch.Build();
    }
}
