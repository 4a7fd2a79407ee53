using System.Text;

namespace Mlops.Features.Tests.Text;

/// <summary>
/// Issue 12, fault 9: text that is not valid UTF-8, or a JSON escape that is not valid UTF-16, fails with a
/// <see cref="DataFormatException"/> naming the file, the line and the byte, never a bare exception or
/// invalid strings in the frame.
/// </summary>
public sealed class InvalidTextInputTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string, byte[]> InvalidJsonLines => new()
    {
        { "invalid UTF-8 in a key", Bytes("{\"k", 0xFF, "\":1}") },
        { "invalid UTF-8 in an escaped key", Bytes("{\"\\u0041", 0xC3, 0x28, "\":1}") },
        { "a lone high surrogate escape in a key", Bytes("{\"\\ud800\":1}") },
        { "a lone low surrogate escape in a key", Bytes("{\"x\\udc00\":1}") },
        { "a lone surrogate escape in a value", Bytes("{\"a\":\"\\ud800\"}") },
        { "invalid UTF-8 in a value", Bytes("{\"a\":\"x", 0xFE, "\"}") },
        { "a truncated UTF-8 sequence in a value", Bytes("{\"a\":\"x", 0xE2, 0x82, "\"}") },
    };

    [Theory]
    [MemberData(nameof(InvalidJsonLines))]
    public void JsonLineFailsNamingFileAndLine(string what, byte[] line)
    {
        var path = _files.WriteBytes("bad.jsonl", [.. Encoding.UTF8.GetBytes("{\"a\":\"ok\"}\n"), .. line, (byte)'\n']);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path).Collect());
        Assert.True(e.SourceName == path && e.Line == 2, $"{what}: {e.Message}");
        Assert.Contains("byte", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidJsonLines))]
    public void JsonLineFailsWithAnExplicitSchema(string what, byte[] line)
    {
        var schema = new Apache.Arrow.Schema([new("a", Apache.Arrow.Types.StringType.Default, true)], null);
        var path = _files.WriteBytes("bad.jsonl", [.. Encoding.UTF8.GetBytes("{\"a\":\"ok\"}\n"), .. line, (byte)'\n']);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadJson(path, new JsonReadOptions { Schema = schema }).Collect());
        Assert.True(e.SourceName == path && e.Line == 2, $"{what}: {e.Message}");
    }

    [Fact]
    public void PermissiveJsonKeepsTheBadLineAsValidUtf8()
    {
        var schema = new Apache.Arrow.Schema([new("a", Apache.Arrow.Types.StringType.Default, true), new("_corrupt_record", Apache.Arrow.Types.StringType.Default, true)], null);
        var path = _files.WriteBytes("bad.jsonl", [.. Encoding.UTF8.GetBytes("{\"a\":\"ok\"}\n"), .. Bytes("{\"a\":\"x", 0xFF, "\"}"), (byte)'\n']);
        var rows = FrameValues.Rows(Frame.ReadJson(path, new JsonReadOptions { Schema = schema, Mode = ReadMode.Permissive }));
        Assert.Equal(["ok", null], rows[0]);
        Assert.Equal([null, "{\"a\":\"x\uFFFD\"}"], rows[1]);
    }

    [Fact]
    public void CsvFieldWithInvalidUtf8FailsNamingFileLineAndColumn()
    {
        var path = _files.WriteBytes("bad.csv", [.. Encoding.UTF8.GetBytes("id,name\n1,ann\n2,b"), 0xFF, (byte)'\n']);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(3, e.Line);
        Assert.Equal("name", e.Column);
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvHeaderWithInvalidUtf8FailsNamingFileAndLine()
    {
        var path = _files.WriteBytes("bad.csv", [.. Encoding.UTF8.GetBytes("id,na"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("me\n1,ann\n")]);
        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(path, new CsvReadOptions { Header = true }).Collect());
        Assert.Equal(path, e.SourceName);
        Assert.Equal(1, e.Line);
        Assert.Contains("UTF-8", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Bytes(params object[] parts) =>
        parts.SelectMany(p => p is string s ? Encoding.UTF8.GetBytes(s) : [(byte)(int)p]).ToArray();
}
