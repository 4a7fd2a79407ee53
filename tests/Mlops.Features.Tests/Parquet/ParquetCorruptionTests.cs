using Apache.Arrow;
using Apache.Arrow.Types;
using Mlops.Features.Parquet;

namespace Mlops.Features.Tests.Parquet;

/// <summary>
/// A corpus of corrupted files, made by patching valid ones: where the format can tell (row counts, value counts,
/// byte ranges, page headers, levels, compressed streams), both read paths throw a <see cref="DataFormatException"/>
/// naming the file; they never return a wrong result. Flipped bytes inside plain-encoded values are not in the corpus:
/// without a page CRC (which Parquet.Net does not check) such a value simply changes.
/// </summary>
public sealed class ParquetCorruptionTests : IDisposable
{
    private const int Rows = 1000;

    // Thrift compact: field delta 1, type i64 (0x16), then zigzag varint 1000 -> 2000 = D0 0F.
    private static readonly byte[] ThousandAfterPrevious = [0x16, 0xD0, 0x0F];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(new byte[] { 0x80, 0x00 }, 0L)]
    [InlineData(new byte[] { 0xE8, 0x07 }, 500L)]
    public void RowGroupRowCountDisagreeingWithTheFooterIsReported(byte[] varint, long patchedRows)
    {
        var file = Write("rg", ParquetCompression.None);
        var bytes = File.ReadAllBytes(file);
        var at = LastInFooter(bytes, ThousandAfterPrevious);
        varint.CopyTo(bytes, at + 1);
        File.WriteAllBytes(file, bytes);
        Assert.Equal(patchedRows, RowGroupRows(file));

        AssertReported(file);
    }

    [Fact]
    public void ColumnChunkValueCountDisagreeingWithTheRowGroupIsReported()
    {
        var file = Write("nv", ParquetCompression.None);
        var bytes = File.ReadAllBytes(file);
        var footer = FooterStart(bytes);
        var first = bytes.AsSpan(footer).IndexOf(ThousandAfterPrevious) + footer;
        var chunk = bytes.AsSpan(first + 3).IndexOf(ThousandAfterPrevious) + first + 3;
        Assert.NotEqual(LastInFooter(bytes, ThousandAfterPrevious), chunk);
        bytes[chunk + 1] = 0xE8;
        bytes[chunk + 2] = 0x07;
        File.WriteAllBytes(file, bytes);

        AssertReported(file);
    }

    [Fact]
    public void FooterLengthPointingPastTheFileIsReported()
    {
        var file = Write("len", ParquetCompression.None);
        var bytes = File.ReadAllBytes(file);
        BitConverter.GetBytes(bytes.Length * 2).CopyTo(bytes, bytes.Length - 8);
        File.WriteAllBytes(file, bytes);

        AssertReported(file);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(2)]
    public void TruncatedFileIsReported(int fraction)
    {
        var file = Write("cut", ParquetCompression.Zstd);
        var bytes = File.ReadAllBytes(file);
        var keep = fraction == 1 ? bytes.Length - 1 : bytes.Length / fraction;
        File.WriteAllBytes(file, bytes[..keep]);

        AssertReported(file);
    }

    [Fact]
    public void FlippedPageHeaderBytesAreReportedUncompressed()
    {
        var file = Write("flip", ParquetCompression.None);
        var original = File.ReadAllBytes(file);
        AssertFlipsNeverGiveWrongData(file, original, 4, RequiredHeaderEnd(original));
    }

    [Fact]
    public void FlippedDefinitionLevelBytesAreReported()
    {
        var file = Write("levels", ParquetCompression.None);
        var original = File.ReadAllBytes(file);

        // The first page's definition levels: length 3, then one RLE run of 1000 ones (varint 2000, value 1).
        byte[] levels = [0x03, 0x00, 0x00, 0x00, 0xD0, 0x0F, 0x01];
        var start = original.AsSpan().IndexOf(levels);
        Assert.True(start > 4);
        AssertFlipsNeverGiveWrongData(file, original, start, start + levels.Length);
    }

    [Fact]
    public void FlippedPageHeaderAndZstdFrameBytesAreReported()
    {
        var file = Write("zflip", ParquetCompression.Zstd);
        var original = File.ReadAllBytes(file);
        var magic = original.AsSpan().IndexOf((byte[])[0x28, 0xB5, 0x2F, 0xFD]);
        Assert.True(magic > 4);
        AssertFlipsNeverGiveWrongData(file, original, 4, RequiredHeaderEnd(original));
        AssertFlipsNeverGiveWrongData(file, original, magic, magic + 6);
    }

    private void AssertFlipsNeverGiveWrongData(string file, byte[] original, int from, int to)
    {
        var reported = 0;
        for (var at = from; at < to; at++)
        {
            var bytes = (byte[])original.Clone();
            bytes[at] ^= 0xFF;
            File.WriteAllBytes(file, bytes);
            reported += ReadOrReport(file, at) ? 0 : 1;
        }

        Assert.True(reported > 0, "no flip was reported at all");
    }

    /// <summary>Reads both ways; true when both gave the original data, false when both reported the file. Anything else fails.</summary>
    private static bool ReadOrReport(string file, int at)
    {
        var arrow = Attempt(() => Frame.ReadParquet(file).Collect().Select(r => ((double?)r["x"], (double?)r["label"])).ToList());
        var dense = Attempt(() =>
        {
            var reader = ParquetDenseReader.Open(file, "x", "label");
            var features = new double[reader.RowCount];
            var labels = new double[reader.RowCount];
            var rows = new List<(double?, double?)>();
            foreach (var group in reader.RowGroups)
            {
                reader.ReadRowGroup(group.File, group.RowGroup, features, labels);
                rows.AddRange(Enumerable.Range(0, group.Rows).Select(i => ((double?)features[i], (double?)labels[i])));
            }

            return rows;
        });
        var good = arrow.Value is { } a && a.SequenceEqual(Expected());
        Assert.True(good || arrow.Error is DataFormatException, $"flip at {at}: the Arrow read returned wrong data or threw {arrow.Error}");
        Assert.True(dense.Value is { } d && d.SequenceEqual(Expected()) || dense.Error is DataFormatException, $"flip at {at}: the dense read returned wrong data or threw {dense.Error}");
        foreach (var error in new[] { arrow.Error, dense.Error }.OfType<DataFormatException>())
        {
            Assert.Equal(file, error.SourceName);
        }

        return good;
    }

    private static void AssertReported(string file)
    {
        var arrow = Assert.Throws<DataFormatException>(() => Frame.ReadParquet(file).Collect());
        Assert.Equal(file, arrow.SourceName);
        var dense = Assert.Throws<DataFormatException>(() =>
        {
            var reader = ParquetDenseReader.Open(file, "x", "label");
            foreach (var group in reader.RowGroups)
            {
                reader.ReadRowGroup(group.File, group.RowGroup, new double[group.Rows], new double[group.Rows]);
            }
        });
        Assert.Equal(file, dense.SourceName);
    }

    private static (T? Value, Exception? Error) Attempt<T>(Func<T> read)
        where T : class
    {
        try
        {
            return (read(), null);
        }
        catch (Exception e)
        {
            return (null, e);
        }
    }

    private static IEnumerable<(double?, double?)> Expected() => Enumerable.Range(0, Rows).Select(i => ((double?)(i * 1.5), (double?)(i % 2)));

    private string Write(string name, ParquetCompression compression)
    {
        var schema = new Schema([new Field("x", DoubleType.Default, true), new Field("label", DoubleType.Default, true)], null);
        var frame = Frame.FromRows(schema, Enumerable.Range(0, Rows).Select(i => (IReadOnlyList<object?>)[i * 1.5, (double)(i % 2)]));
        return frame.WriteParquet(_temp.Combine(name), new ParquetWriteOptions { DegreeOfParallelism = 1, Compression = compression }).Files.Single();
    }

    private static long RowGroupRows(string file)
    {
        using var stream = File.OpenRead(file);
        var reader = global::Parquet.ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        try
        {
            return reader.Metadata!.RowGroups.Single().NumRows;
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The end of the first page header's required fields (type, sizes, then the data page header's value count and
    /// three encodings); the optional statistics after them are skippable Thrift, where a flip can re-align the parse
    /// with no count disagreeing, which only a page CRC would catch.
    /// </summary>
    private static int RequiredHeaderEnd(byte[] bytes)
    {
        // Field 1 of the data page header: i32 1000, zigzag 2000 = D0 0F; then three i32 fields of two bytes each.
        var numValues = bytes.AsSpan(0, 64).IndexOf((byte[])[0x15, 0xD0, 0x0F]);
        Assert.True(numValues > 4);
        return numValues + 3 + 6;
    }

    private static int FooterStart(byte[] bytes) => bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);

    private static int LastInFooter(byte[] bytes, byte[] pattern)
    {
        var footer = FooterStart(bytes);
        var at = bytes.AsSpan(footer).LastIndexOf(pattern);
        Assert.True(at >= 0);
        return footer + at;
    }
}
