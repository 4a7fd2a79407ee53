using Mlops.Features.Tests.Text;
using Mlops.Storage;

namespace Mlops.Features.Tests.Csv;

public sealed class CsvSourceTests : IDisposable
{
    private readonly TextTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void FolderOfPartFilesIsReadInOrderOnePartitionPerFile()
    {
        _files.Write("out/part-00000.csv", "id\n1\n2\n");
        _files.Write("out/part-00001.csv", "id\n3\n");
        _files.Write("out/part-00002.csv", "id\n4\n5\n6\n");
        _files.Write("out/_SUCCESS", string.Empty);
        _files.Write("out/.part-00000.csv.crc", "garbage");
        var frame = Frame.ReadCsv(Path.Combine(_files.Root, "out"), new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal(3, frame.PartitionCount);
        Assert.Equal([1, 2, 3, 4, 5, 6], FrameValues.Column(frame, "id"));
        Assert.Equal(6, frame.Count());
    }

    [Fact]
    public void GlobSelectsFiles()
    {
        _files.Write("logs/2024-01.csv", "1\n");
        _files.Write("logs/2024-02.csv", "2\n");
        _files.Write("logs/2023-12.csv", "0\n");
        _files.Write("logs/notes.txt", "not csv\n");
        var frame = Frame.ReadCsv(Path.Combine(_files.Root, "logs", "2024-*.csv"));
        Assert.Equal(["1", "2"], FrameValues.Column(frame, "_c0"));
    }

    [Fact]
    public void GzipFilesAreDecompressed()
    {
        var path = _files.WriteGzip("a.csv.gz", "id,text\n1,\"multi\nline\"\n2,b\n");
        var frame = Frame.ReadCsv(path, new CsvReadOptions { Header = true, InferSchema = true });
        Assert.Equal([[1, "multi\nline"], [2, "b"]], FrameValues.Rows(frame));
    }

    [Fact]
    public void MissingPathThrowsBlobNotFound()
    {
        Assert.Throws<BlobNotFoundException>(() => Frame.ReadCsv(Path.Combine(_files.Root, "nope.csv")));
    }

    [Fact]
    public void FrameCanBeReadMoreThanOnce()
    {
        var path = _files.Write("a.csv", "1\n2\n");
        var frame = Frame.ReadCsv(path);
        Assert.Equal(2, frame.Count());
        Assert.Equal(2, frame.Count());
        Assert.Equal(["1"], frame.Head(1).Select(r => r[0]));
    }

    [Fact]
    public void ManyFilesAreReadInParallelWithOrderedResults()
    {
        for (var f = 0; f < 12; f++)
        {
            _files.Write($"many/part-{f:D3}.csv", string.Concat(Enumerable.Range(f * 100, 100).Select(i => $"{i}\n")));
        }

        var frame = Frame.ReadCsv(Path.Combine(_files.Root, "many"), new CsvReadOptions { InferSchema = true, BatchSize = 33 });
        Assert.Equal(Enumerable.Range(0, 1200).Cast<object?>(), FrameValues.Column(frame, "_c0"));
    }

    [Fact]
    public void ReadingHonoursCancellation()
    {
        var path = _files.Write("a.csv", string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i}\n")));
        var frame = Frame.ReadCsv(path, new CsvReadOptions { BatchSize = 10 });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => frame.Count(cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => frame.ReadBatches(cancelled.Token, 1).ToList());
    }

    [Fact]
    public void JsonResolverOptionIsUsed()
    {
        _files.Write("data/a.jsonl", "{\"x\": 1}\n");
        var frame = Frame.ReadJson("data/a.jsonl", new JsonReadOptions { Resolver = new RootedResolver(_files.Root) });
        Assert.Equal([1L], FrameValues.Column(frame, "x"));
    }

    private sealed class RootedResolver(string root) : StorageResolver
    {
        public override StorageLocation Resolve(string location) => new(new LocalBlobStore(root), location);
    }
}
