using Apache.Arrow;
using Mlops.Storage;

namespace Mlops.Features.Text;

/// <summary>The immutable copy of the <see cref="TextReadOptions"/> every text reader shares.</summary>
internal abstract class TextSettings
{
    protected TextSettings(TextReadOptions options, TextValueParser parser)
    {
        Parser = parser;
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

    /// <summary>The most columns a record may have: the options' <see cref="TextReadOptions.MaxColumns"/>, else the session's.</summary>
    public int MaxColumns { get; init; } = FeaturesOptions.DefaultMaxColumns;

    /// <summary>How many files schema inference samples at once: the reading session's degree of parallelism.</summary>
    public int DegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
