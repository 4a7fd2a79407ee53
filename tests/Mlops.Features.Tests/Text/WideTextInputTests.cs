using System.Text;
using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Text;

/// <summary>Runs alone, so that the process-wide allocation count measures only the read under test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasuringCollection
{
    public const string Name = "Allocation measuring";
}

/// <summary>
/// Issue 12, fault 7: a small file with very many columns must cost memory in proportion to its data, and a
/// file wider than the column limit fails naming the file, the line and the limit.
/// </summary>
[Collection(AllocationMeasuringCollection.Name)]
public sealed class WideTextInputTests : IDisposable
{
    private const int Wide = 100_000;

    // 100,000 one-row columns hold a few MB of data; pre-sized builders took 3-5 GB.
    private const long AllocationBound = 200L * 1024 * 1024;

    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void JsonLineWithAHundredThousandKeysIsReadInMemoryThatFollowsTheData()
    {
        var line = new StringBuilder("{");
        for (var i = 0; i < Wide; i++)
        {
            line.Append(i == 0 ? string.Empty : ",").Append("\"k").Append(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).Append("\":").Append(i);
        }

        var path = _files.Write("wide.jsonl", line.Append("}\n").ToString());
        var session = new FrameSession(new FeaturesOptions { DegreeOfParallelism = 1, MaxColumns = Wide });
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var batches = FrameValues.Batches(session.ReadJson(path));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var batch = Assert.Single(batches);
        Assert.Equal(Wide, batch.ColumnCount);
        Assert.Equal(1, batch.Length);
        Assert.Equal(99_999L, FrameValues.Value(batch.Column(Wide - 1), 0));
        Assert.True(allocated < AllocationBound, $"reading a one-row, {Wide:N0}-column JSON line allocated {allocated:N0} bytes");
    }

    [Fact]
    public void CsvWithAHundredThousandColumnsIsReadInMemoryThatFollowsTheData()
    {
        var header = string.Join(',', Enumerable.Range(0, Wide).Select(i => "c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var row = string.Join(',', Enumerable.Range(0, Wide).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var path = _files.Write("wide.csv", header + "\n" + row + "\n");
        var session = new FrameSession(new FeaturesOptions { DegreeOfParallelism = 1, MaxColumns = Wide });
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var batches = FrameValues.Batches(session.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true }));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var batch = Assert.Single(batches);
        Assert.Equal(Wide, batch.ColumnCount);
        Assert.Equal(1, batch.Length);
        Assert.Equal(99_999, FrameValues.Value(batch.Column(Wide - 1), 0));
        Assert.True(allocated < AllocationBound, $"reading a one-row, {Wide:N0}-column CSV file allocated {allocated:N0} bytes");
    }

    [Fact]
    public void JsonLineOverTheDefaultColumnLimitFailsNamingFileLineAndLimit()
    {
        var wide = "{" + string.Join(',', Enumerable.Range(0, 10_001).Select(i => $"\"k{i}\":1")) + "}";
        var path = _files.Write("over.jsonl", "{\"a\":1}\n" + wide + "\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(2, e.Line);
        Assert.Contains("10,000", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxColumns", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonLinesWhoseKeysTogetherPassTheLimitFailAtTheLineThatPassesIt()
    {
        var path = _files.Write("keys.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":3,\"c\":4}\n{\"d\":5}\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { MaxColumns = 3 }).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(3, e.Line);
        Assert.Contains("3 columns", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvHeaderOverTheDefaultColumnLimitFailsNamingFileLineAndLimit()
    {
        var path = _files.Write("over.csv", string.Join(',', Enumerable.Range(0, 10_001).Select(i => $"c{i}")) + "\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(1, e.Line);
        Assert.Contains("10,000", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxColumns", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvRecordOverTheColumnLimitFailsInEveryMode()
    {
        var path = _files.Write("rows.csv", "1,2,3\n4,5,6,7,8\n");
        var schema = new Apache.Arrow.Schema([new("a", Apache.Arrow.Types.StringType.Default, true), new("b", Apache.Arrow.Types.StringType.Default, true), new("c", Apache.Arrow.Types.StringType.Default, true)], null);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Schema = schema, MaxColumns = 4, Mode = ReadMode.DropMalformed }).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(2, e.Line);
        Assert.Contains("more than 4 fields", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionLimitAppliesWhenTheReadDoesNotSetOne()
    {
        var path = _files.Write("four.jsonl", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}\n");
        var narrow = new FrameSession(new FeaturesOptions { MaxColumns = 3 });
        Assert.Throws<DataFormatException>(() => narrow.ReadJson(path).Collect());
        Assert.Equal(4, narrow.ReadJson(path, new JsonReadOptions { MaxColumns = 4 }).Columns.Count);
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new FrameSession(new FeaturesOptions { MaxColumns = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Frame.ReadJson(path, new JsonReadOptions { MaxColumns = 0 }));
    }
}
