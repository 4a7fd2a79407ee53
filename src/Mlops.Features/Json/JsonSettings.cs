using Apache.Arrow;
using Mlops.Features.Text;
using Mlops.Storage;

namespace Mlops.Features.Json;

/// <summary>An immutable copy of <see cref="JsonReadOptions"/>.</summary>
internal sealed class JsonSettings
{
    public JsonSettings(JsonReadOptions options)
    {
        Parser = new TextValueParser(new TemporalParser(options.DateFormat, options.TimestampFormat));
        Mode = options.Mode;
        CorruptColumn = options.ColumnNameOfCorruptRecord;
        BatchSize = options.BatchSize;
        SamplingRows = options.SamplingRows;
        MaxRecordBytes = options.MaxRecordBytes;
        Schema = options.Schema;
        Resolver = options.Resolver;
    }

    public TextValueParser Parser { get; }

    public ReadMode Mode { get; }

    public string CorruptColumn { get; }

    public int BatchSize { get; }

    public int SamplingRows { get; }

    public int MaxRecordBytes { get; }

    public Schema? Schema { get; }

    public StorageResolver? Resolver { get; }
}
