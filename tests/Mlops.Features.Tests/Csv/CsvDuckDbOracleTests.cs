using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using DuckDB.NET.Data;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Csv;

/// <summary>Reads one generated CSV with this reader and with DuckDB's read_csv, and compares every value.</summary>
public sealed class CsvDuckDbOracleTests : IDisposable
{
    private const int Rows = 20_000;
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void MatchesDuckDbValueForValue()
    {
        var path = _files.Write("oracle.csv", Generate(new Random(20240611)));

        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true, BatchSize = 4096 });
        Assert.Equal(
            [typeof(Int32Type), typeof(DoubleType), typeof(StringType), typeof(BooleanType), typeof(Date32Type), typeof(TimestampType)],
            frame.Schema.FieldsList.Select(f => f.DataType.GetType()));
        var ours = new List<object?[]>();
        foreach (var batch in FrameValues.Batches(frame))
        {
            var days = (Date32Array)batch.Column(4);
            var micros = (TimestampArray)batch.Column(5);
            for (var r = 0; r < batch.Length; r++)
            {
                ours.Add(
                [
                    FrameValues.Value(batch.Column(0), r),
                    FrameValues.Value(batch.Column(1), r),
                    FrameValues.Value(batch.Column(2), r),
                    FrameValues.Value(batch.Column(3), r),
                    days.IsNull(r) ? null : (long)days.Values[r],
                    micros.IsNull(r) ? null : micros.Values[r],
                ]);
            }
        }

        var theirs = ReadWithDuckDb(path);
        Assert.Equal(Rows, theirs.Count);
        Assert.Equal(theirs.Count, ours.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            Assert.True(theirs[i].SequenceEqual(ours[i]), $"row {i}: DuckDB [{string.Join(" | ", theirs[i])}] vs ours [{string.Join(" | ", ours[i])}]");
        }
    }

    private static List<object?[]> ReadWithDuckDb(string path)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, amount, name, flag, date_diff('day', DATE '1970-01-01', day), epoch_us(ts) FROM read_csv('"
            + path.Replace("'", "''", StringComparison.Ordinal)
            + "', header = true, delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false, auto_detect = false, "
            + "columns = {'id': 'INTEGER', 'amount': 'DOUBLE', 'name': 'VARCHAR', 'flag': 'BOOLEAN', 'day': 'DATE', 'ts': 'TIMESTAMP'})";
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[6];
            for (var c = 0; c < row.Length; c++)
            {
                row[c] = reader.IsDBNull(c) ? null : reader.GetValue(c);
            }

            rows.Add(row);
        }

        return rows;
    }

    private static string Generate(Random random)
    {
        var sb = new StringBuilder("id,amount,name,flag,day,ts\n");
        for (var i = 0; i < Rows; i++)
        {
            sb.Append(i).Append(',');
            if (random.Next(20) > 0)
            {
                var amount = random.Next(3) switch
                {
                    0 => Math.Round(random.NextDouble() * 1000, 2),
                    1 => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30)),
                    _ => random.Next(-1000, 1000),
                };
                sb.Append(amount.ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append(',').Append(Name(random)).Append(',');
            if (random.Next(20) > 0)
            {
                sb.Append(random.Next(2) == 0 ? "true" : "false");
            }

            sb.Append(',');
            var day = new DateOnly(1900, 1, 1).AddDays(random.Next(0, 80_000));
            if (random.Next(20) > 0)
            {
                sb.Append(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            }

            sb.Append(',');
            if (random.Next(20) > 0)
            {
                var ts = new DateTime(1950, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks((long)(random.NextDouble() * 100 * 365 * TimeSpan.TicksPerDay) / 10 * 10);
                sb.Append(ts.ToString(random.Next(2) == 0 ? "yyyy-MM-dd HH:mm:ss.ffffff" : "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    private static string Name(Random random)
    {
        switch (random.Next(12))
        {
            case 0:
                return string.Empty;
            case 1:
                return "\"\"";
        }

        const string plain = "abcdefghijklmnopqrstuvwxyz0123456789 é日";
        const string special = ",\"\n";
        var sb = new StringBuilder();
        var length = random.Next(1, 30);
        var quoted = false;
        for (var i = 0; i < length; i++)
        {
            if (random.Next(10) == 0)
            {
                var c = random.Next(4) == 3 ? "\r\n" : special[random.Next(special.Length)].ToString();
                sb.Append(c == "\"" ? "\"\"" : c);
                quoted = true;
            }
            else
            {
                sb.Append(plain[random.Next(plain.Length)]);
            }
        }

        var text = sb.ToString().Trim();
        if (text.Length == 0)
        {
            return "x";
        }

        return quoted || text != sb.ToString() ? "\"" + sb + "\"" : text;
    }
}
