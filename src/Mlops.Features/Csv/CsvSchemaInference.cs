using Apache.Arrow;
using Mlops.Features.Text;
using Mlops.Storage;

namespace Mlops.Features.Csv;

/// <summary>
/// Finds the schema of CSV files that come without one: the column names from the first file's header
/// (or <c>_c0</c>, <c>_c1</c>, ...), and, with InferSchema, the column types from a sample of each file.
/// </summary>
internal static class CsvSchemaInference
{
    /// <summary>The empty-input message the readers share.</summary>
    public const string EmptyInput = "cannot infer a schema from an empty file; pass a schema";

    public static Schema Infer(IReadOnlyList<StorageLocation> files, CsvSettings settings, CancellationToken cancellationToken)
    {
        if (!settings.InferSchema)
        {
            // Only the names are needed: the first record of the first non-empty file, as in Spark.
            foreach (var file in files)
            {
                var names = FirstRecordNames(file, settings, cancellationToken);
                if (names is not null)
                {
                    return new Schema(names.Select(n => new Field(n, Apache.Arrow.Types.StringType.Default, nullable: true)), null);
                }
            }

            throw new DataFormatException(EmptyInput, files[0].ToString(), 1);
        }

        var samples = TextFileSampler.SampleAll(files, (file, ct) => Sample(file, settings, ct), settings.DegreeOfParallelism, cancellationToken);
        FileSample? merged = null;
        for (var i = 0; i < samples.Length; i++)
        {
            var sample = samples[i];
            if (sample is null)
            {
                continue;
            }

            if (merged is null)
            {
                merged = sample;
                continue;
            }

            if (settings.Header)
            {
                // Every file's header must name the first file's columns.
                var names = sample.Names;
                var expected = merged.Names;
                var at = Enumerable.Range(0, Math.Max(names.Length, expected.Length)).FirstOrDefault(c => c >= names.Length || c >= expected.Length || names[c] != expected[c], -1);
                if (at >= 0)
                {
                    throw new DataFormatException(
                        $"the header ({string.Join(", ", names)}) differs from that of {merged.Source} ({string.Join(", ", expected)}); every file must have the same columns in the same order.",
                        files[i].ToString(),
                        sample.HeaderLine,
                        at < expected.Length ? expected[at] : names[at]);
                }
            }

            for (var c = 0; c < Math.Min(merged.Types.Length, sample.Types.Length); c++)
            {
                merged.Types[c] = InferredTypes.Merge(merged.Types[c], sample.Types[c]);
            }
        }

        if (merged is null)
        {
            throw new DataFormatException(EmptyInput, files[0].ToString(), 1);
        }

        return new Schema(merged.Names.Select((n, c) => new Field(n, InferredTypes.ToArrowType(merged.Types[c]), nullable: true)), null);
    }

    private static string[]? FirstRecordNames(StorageLocation file, CsvSettings settings, CancellationToken cancellationToken)
    {
        using var stream = TextSource.Open(file, cancellationToken);
        var tokenizer = new CsvTokenizer(stream, file.ToString(), settings);
        if (!tokenizer.ReadRecord())
        {
            return null;
        }

        return settings.Header ? CsvHeader.Read(tokenizer) : CsvHeader.DefaultNames(tokenizer.FieldCount);
    }

    /// <summary>The names and types seen in the first SamplingRows records of a file, or null if it has no record.</summary>
    private static FileSample? Sample(StorageLocation file, CsvSettings settings, CancellationToken cancellationToken)
    {
        using var stream = TextSource.Open(file, cancellationToken);
        var source = file.ToString();
        var tokenizer = new CsvTokenizer(stream, source, settings);
        if (!tokenizer.ReadRecord())
        {
            return null;
        }

        string[] names;
        long headerLine = 0;
        var haveRecord = true;
        if (settings.Header)
        {
            names = CsvHeader.Read(tokenizer);
            headerLine = tokenizer.Line;
            haveRecord = tokenizer.ReadRecord();
        }
        else
        {
            names = CsvHeader.DefaultNames(tokenizer.FieldCount);
        }

        var types = new InferredType[names.Length];
        var parser = settings.Parser;
        for (var row = 0; haveRecord && row < settings.SamplingRows; row++)
        {
            if ((row & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            // Malformed records do not vote; reading reports them according to the mode.
            if (tokenizer.Error is null && tokenizer.FieldCount == names.Length)
            {
                for (var c = 0; c < names.Length; c++)
                {
                    var field = tokenizer.Field(c);
                    if (types[c] == InferredType.String || field.Length == 0 || (settings.NullTokens.Length > 0 && settings.IsNullToken(field)))
                    {
                        continue;
                    }

                    types[c] = InferredTypes.Merge(types[c], parser.Infer(field));
                }
            }

            haveRecord = tokenizer.ReadRecord();
        }

        return new FileSample(source, names, types, headerLine);
    }

    private sealed record FileSample(string Source, string[] Names, InferredType[] Types, long HeaderLine);
}
