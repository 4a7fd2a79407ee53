using Mlops.Features.Tests.Text;

namespace Mlops.Features.Tests.IO;

/// <summary>Issue 12, fault 9: file names with glob characters are read as the files they name; a backslash escapes a glob character.</summary>
public sealed class SourceFilesTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ExistingFileWithBracketsInItsNameIsReadAsThatFile()
    {
        var path = _files.Write("data[1].csv", "id\n7\n");
        _files.Write("data1.csv", "id\n8\n");
        Assert.Equal([7], FrameValues.Column(Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true }), "id"));
    }

    [Fact]
    public void ExistingFileWithGlobCharactersInItsNameIsReadAsThatFile()
    {
        var path = _files.Write("a*b?.jsonl", "{\"id\":1}\n");
        _files.Write("axbc.jsonl", "{\"id\":2}\n");
        Assert.Equal([1L], FrameValues.Column(Frame.ReadJson(path), "id"));
    }

    [Fact]
    public void BracketsStillMatchAClassWhenNoFileHasTheLiteralName()
    {
        _files.Write("logs/data1.csv", "1\n");
        _files.Write("logs/data2.csv", "2\n");
        _files.Write("logs/data3.csv", "3\n");
        Assert.Equal(["1", "2"], FrameValues.Column(Frame.ReadCsv(Path.Combine(_files.Root, "logs", "data[12].csv")), "_c0"));
    }

    [Fact]
    public void BackslashEscapesAGlobCharacterInAPattern()
    {
        _files.Write("logs/a[1]-x.csv", "1\n");
        _files.Write("logs/a[1]-y.csv", "2\n");
        _files.Write("logs/a1-x.csv", "3\n");
        var pattern = Path.Combine(_files.Root, "logs", "a\\[1\\]-*.csv");
        Assert.Equal(["1", "2"], FrameValues.Column(Frame.ReadCsv(pattern), "_c0"));
    }

    [Fact]
    public void BackslashEscapesInAFolderNameBeforeAPattern()
    {
        _files.Write("run[7]/part-0.csv", "1\n");
        _files.Write("run[7]/part-1.csv", "2\n");
        var pattern = Path.Combine(_files.Root, "run\\[7\\]", "part-*.csv");
        Assert.Equal(["1", "2"], FrameValues.Column(Frame.ReadCsv(pattern), "_c0"));
    }

    [Fact]
    public void EscapedPathWithoutAPatternNamesTheFile()
    {
        _files.Write("data[1].csv", "id\n7\n");
        var escaped = Path.Combine(_files.Root, "data\\[1\\].csv");
        Assert.Equal(["7"], FrameValues.Column(Frame.ReadCsv(escaped, new CsvReadOptions { Header = true }), "id"));
    }
}
