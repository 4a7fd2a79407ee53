using Apache.Arrow;
using Mlops.Features.Text;
using Mlops.Storage;

namespace Mlops.Features.Csv;

/// <summary>Reads one CSV file into record batches: the work of one partition of a CSV frame.</summary>
internal sealed class CsvFileReader
{
    private readonly CsvTokenizer _tokenizer;
    private readonly CsvSettings _settings;
    private readonly TextSchemaPlan _plan;
    private readonly TextBatchBuilder _batch;

    private CsvFileReader(Stream stream, string source, CsvSettings settings, TextSchemaPlan plan)
    {
        _tokenizer = new CsvTokenizer(stream, source, settings);
        _settings = settings;
        _plan = plan;
        _batch = new TextBatchBuilder(plan, settings.Parser, settings.Mode, settings.BatchSize);
    }

    /// <summary>Streams the file's batches; the file is opened when enumeration starts and closed when it ends.</summary>
    public static IEnumerable<RecordBatch> Read(StorageLocation file, CsvSettings settings, TextSchemaPlan plan, CancellationToken cancellationToken)
    {
        using var stream = TextSource.Open(file, cancellationToken);
        var reader = new CsvFileReader(stream, file.ToString(), settings, plan);
        if (settings.Header && !CsvHeader.ReadAndCheck(reader._tokenizer, plan.DataNames, "the schema"))
        {
            yield break;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = reader.ReadBatch();
            if (batch is null)
            {
                yield break;
            }

            yield return batch;
        }
    }

    /// <summary>Reads up to BatchSize records; null at the end of the file.</summary>
    private RecordBatch? ReadBatch()
    {
        while (_tokenizer.ReadRecord())
        {
            AppendRecord();
            if (_batch.IsFull)
            {
                var full = _batch.Build();
                if (full is not null)
                {
                    return full;
                }
            }
        }

        return _batch.Build();
    }

    private void AppendRecord()
    {
        var tokenizer = _tokenizer;
        var columns = _plan.DataColumnCount;
        var fields = tokenizer.FieldCount;
        var malformed = false;
        if (tokenizer.Error is { } error)
        {
            malformed = true;
            Fail(error, ColumnName(tokenizer.ErrorField));
        }
        else if (fields != columns)
        {
            malformed = true;
            var detail = fields < columns
                ? $"the record has {fields} fields but the schema has {columns} columns; '{_plan.DataNames[fields]}' and later columns are missing."
                : $"the record has {fields} fields but the schema has {columns} columns; extra text after this column: {TextSource.Quote(tokenizer.Field(columns))}.";
            Fail(detail, _plan.DataNames[Math.Min(fields, columns - 1)]);
        }

        var n = Math.Min(fields, columns);
        for (var i = 0; i < n; i++)
        {
            var field = tokenizer.Field(i);
            if (field.Length == 0)
            {
                // "" is an empty string; an unquoted empty field is null unless the null text was changed.
                if (_batch.IsString(i) && (tokenizer.IsQuoted(i) || !_settings.EmptyIsNull))
                {
                    _batch.AppendText(i, field);
                }
                else
                {
                    _batch.AppendNull(i);
                }
            }
            else if (_settings.NullTokens.Length > 0 && _settings.IsNullToken(field))
            {
                _batch.AppendNull(i);
            }
            else if (!_batch.AppendText(i, field))
            {
                malformed = true;
                Fail(
                    _batch.InvalidUtf8Offset >= 0
                        ? _batch.InvalidUtf8Message("the field")
                        : $"cannot parse {TextSource.Quote(field)} as {_batch.TypeName(i)}{_plan.InferenceNote}",
                    _plan.DataNames[i]);
            }
        }

        for (var i = n; i < columns; i++)
        {
            _batch.AppendNull(i);
        }

        _batch.EndRow(malformed, tokenizer.RawRecord);
    }

    private string ColumnName(int field) => _plan.DataNames[Math.Min(field, _plan.DataColumnCount - 1)];

    private void Fail(string detail, string? column)
    {
        if (_settings.Mode == ReadMode.FailFast)
        {
            throw new DataFormatException(detail, _tokenizer.Source, _tokenizer.Line, column);
        }
    }
}
