using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.Csv;

public sealed class CsvRfc4180Tests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void QuotedFieldsHoldDelimitersDoubledQuotesAndLineBreaks()
    {
        var path = _files.Write("a.csv", "id,text\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"line1\nline2\"\n4,\"crlf1\r\ncrlf2\"\n5,plain\n");
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true }));
        Assert.Equal(
            [
                ["1", "a,b"],
                ["2", "say \"hi\""],
                ["3", "line1\nline2"],
                ["4", "crlf1\r\ncrlf2"],
                ["5", "plain"],
            ],
            rows);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void LineEndingsAreLfCrlfOrLoneCr(string eol)
    {
        var path = _files.Write("a.csv", $"a,b{eol}1,2{eol}3,4{eol}");
        Assert.Equal([["1", "2"], ["3", "4"]], FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true })));
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4")]
    [InlineData("a,b\n1,2\n3,4\n")]
    [InlineData("a,b\r\n1,2\r\n3,4\r\n")]
    [InlineData("a,b\r\n1,2\r\n3,4")]
    public void TrailingLineBreakIsOptional(string content)
    {
        var path = _files.Write("a.csv", content);
        Assert.Equal([["1", "2"], ["3", "4"]], FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true })));
    }

    [Fact]
    public void EmptyFieldIsNullButQuotedEmptyStringIsEmpty()
    {
        var path = _files.Write("a.csv", "a,b,c\n,\"\",x\n\"\",,\n");
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true }));
        Assert.Equal([[null, "", "x"], ["", null, null]], rows);
    }

    [Fact]
    public void EmptyAndQuotedEmptyFieldsInNumericColumnsAreNull()
    {
        var path = _files.Write("a.csv", "1,\"\"\n,2\n");
        var schema = new Apache.Arrow.Schema.Builder().Field(f => f.Name("x").DataType(Apache.Arrow.Types.Int32Type.Default)).Field(f => f.Name("y").DataType(Apache.Arrow.Types.Int64Type.Default)).Build();
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Schema = schema }));
        Assert.Equal([[1, null], [null, 2L]], rows);
    }

    [Fact]
    public void QuoteInsideUnquotedFieldIsLiteral()
    {
        var path = _files.Write("a.csv", "5\" disk,a\"b\n");
        Assert.Equal([["5\" disk", "a\"b"]], FrameValues.Rows(Frame.ReadCsv(path)));
    }

    [Fact]
    public void TrailingDelimiterMakesAnEmptyLastField()
    {
        var path = _files.Write("a.csv", "a,b,c\n1,2,\n");
        Assert.Equal([["1", "2", null]], FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true })));
    }

    [Fact]
    public void BlankLinesAreSkippedAndLineNumbersStayPhysical()
    {
        var path = _files.Write("a.csv", "a,b\n\n1,2\r\n\r\n\n3\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
        Assert.Equal(6, e.Line);
        Assert.StartsWith($"{path}:6, column 'b': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LineNumbersCountLineBreaksInsideQuotedFields()
    {
        var path = _files.Write("a.csv", "a,b\n1,\"x\ny\r\nz\"\n2,\"p\rq\"\n3\n");
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
        Assert.Equal(7, e.Line);
    }

    [Fact]
    public void ByteOrderMarkIsSkipped()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat("name,v\nx,1\n"u8.ToArray()).ToArray();
        var path = _files.WriteBytes("bom.csv", bytes);
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true });
        Assert.Equal(["name", "v"], frame.Columns);
        Assert.Equal([["x", "1"]], FrameValues.Rows(frame));
    }

    [Fact]
    public void NonAsciiTextSurvives()
    {
        var path = _files.Write("a.csv", "naïve,\"日本語, text\",emoji 🙂\n");
        Assert.Equal([["naïve", "日本語, text", "emoji 🙂"]], FrameValues.Rows(Frame.ReadCsv(path)));
    }

    [Fact]
    public void BackslashEscapeWhenConfigured()
    {
        var path = _files.Write("a.csv", "\"a \\\"quoted\\\" word\",\"back\\\\slash\",\"keep \\n as is\"\n");
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Escape = '\\' }));
        Assert.Equal([["a \"quoted\" word", "back\\slash", "keep \\n as is"]], rows);
    }

    [Fact]
    public void RecordsSpanningBufferRefillsAreParsedWhole()
    {
        // Over 1 MiB (the first buffer) with quoted multi-line fields and doubled quotes everywhere, so
        // that refills land inside quoted fields, escapes and CRLF pairs.
        var random = new Random(42);
        var expected = new List<object?[]>();
        var sb = new System.Text.StringBuilder("id,text,n\r\n");
        for (var i = 0; sb.Length < 3_500_000; i++)
        {
            var text = new string('x', random.Next(0, 300)) + (i % 3 == 0 ? "\"q\"\r\nnext" : string.Empty) + new string('y', random.Next(0, 50));
            sb.Append(i).Append(",\"").Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\",").Append(i * 7).Append("\r\n");
            expected.Add([i.ToString(System.Globalization.CultureInfo.InvariantCulture), text, (i * 7).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var path = _files.Write("big.csv", sb.ToString());
        Assert.Equal(expected, FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true })));
    }

    [Fact]
    public void CommentLinesAreSkipped()
    {
        var path = _files.Write("a.csv", "# produced by a tool\na,b\n#1,2\n3,4\n");
        var rows = FrameValues.Rows(Frame.ReadCsv(path, new CsvReadOptions { Header = true, Comment = '#' }));
        Assert.Equal([["3", "4"]], rows);
    }

    [Fact]
    public void WhiteSpaceIsKeptUnlessAskedToTrim()
    {
        var path = _files.Write("a.csv", "  a , \"b\" ,c\t\n");
        Assert.Equal([["  a ", " \"b\" ", "c\t"]], FrameValues.Rows(Frame.ReadCsv(path)));
        var trimmed = new CsvReadOptions { IgnoreLeadingWhiteSpace = true, IgnoreTrailingWhiteSpace = true };
        Assert.Equal([["a", "b", "c"]], FrameValues.Rows(Frame.ReadCsv(path, trimmed)));
        var unquoted = _files.Write("b.csv", "  a ,  b\t\n");
        Assert.Equal([["a ", "b\t"]], FrameValues.Rows(Frame.ReadCsv(unquoted, new CsvReadOptions { IgnoreLeadingWhiteSpace = true })));
        Assert.Equal([["  a", "  b"]], FrameValues.Rows(Frame.ReadCsv(unquoted, new CsvReadOptions { IgnoreTrailingWhiteSpace = true })));

        // Without trailing trimming, a space after a closing quote is text after the quote: malformed.
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { IgnoreLeadingWhiteSpace = true }).Collect());
        Assert.Contains("after the closing quote", e.Message, StringComparison.Ordinal);
    }
}
