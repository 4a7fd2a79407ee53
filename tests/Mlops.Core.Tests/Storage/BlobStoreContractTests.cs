using System.Text;
using Mlops.Storage;

namespace Mlops.Core.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="BlobStore"/> promises, run against each implementation: atomic commits,
/// invisible uncommitted writes, ordered recursive listings, prefix operations and errors that name the location.
/// </summary>
public abstract class BlobStoreContractTests
{
    protected abstract BlobStore Store { get; }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Committed_write_reads_back(bool useAsync)
    {
        await WriteAsync("folder/hello.txt", Encoding.UTF8.GetBytes("hello, blobs"), useAsync);

        Assert.Equal("hello, blobs", Encoding.UTF8.GetString(await ReadAllAsync("folder/hello.txt", useAsync)));
        var info = useAsync ? await Store.GetInfoAsync("folder/hello.txt") : Store.GetInfo("folder/hello.txt");
        Assert.NotNull(info);
        Assert.Equal("folder/hello.txt", info.Path);
        Assert.Equal(12, info.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Multi_block_write_larger_than_4MiB_round_trips_byte_for_byte(bool useAsync)
    {
        var data = RandomBytes((9 * 1024 * 1024) + 12345, seed: 42);
        await using (var writer = useAsync ? await Store.OpenWriteAsync("big/data.bin") : Store.OpenWrite("big/data.bin"))
        {
            // Odd-sized pieces so that writes straddle block boundaries.
            for (var offset = 0; offset < data.Length; offset += 100_003)
            {
                var piece = data.AsMemory(offset, Math.Min(100_003, data.Length - offset));
                if (useAsync)
                {
                    await writer.WriteAsync(piece);
                }
                else
                {
                    writer.Write(piece.Span);
                }
            }

            Assert.Equal(data.Length, writer.Length);
            await CommitAsync(writer, useAsync);
        }

        Assert.Equal(data, await ReadAllAsync("big/data.bin", useAsync));
        Assert.Equal(data.Length, Store.GetInfo("big/data.bin")!.Length);
    }

    [Fact]
    public async Task Read_stream_seeks_and_reads_ranges()
    {
        var data = RandomBytes(5 * 1024 * 1024, seed: 7);
        await WriteAsync("seek.bin", data, useAsync: true);

        await using var stream = await Store.OpenReadAsync("seek.bin");
        Assert.True(stream.CanSeek);
        Assert.Equal(data.Length, stream.Length);

        // A Parquet reader's pattern: the footer at the end first, then a range in the middle.
        var tail = new byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        Assert.Equal(data[^8..], tail);

        var middle = new byte[300_000];
        stream.Position = 4_000_000;
        await stream.ReadExactlyAsync(middle);
        Assert.Equal(data.AsSpan(4_000_000, 300_000).ToArray(), middle);
        Assert.Equal(0, stream.Read(new byte[10], 0, 0));
        stream.Position = data.Length;
        Assert.Equal(0, stream.Read(new byte[10], 0, 10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Empty_blob_commits_and_reads_empty(bool useAsync)
    {
        await WriteAsync("empty.bin", [], useAsync);

        Assert.Empty(await ReadAllAsync("empty.bin", useAsync));
        Assert.Equal(0, Store.GetInfo("empty.bin")!.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Uncommitted_write_is_invisible_and_leaves_nothing(bool useAsync)
    {
        var writer = useAsync ? await Store.OpenWriteAsync("pending/part-0.bin") : Store.OpenWrite("pending/part-0.bin");
        var data = RandomBytes((5 * 1024 * 1024) + 1, seed: 3);
        if (useAsync)
        {
            await writer.WriteAsync(data);
        }
        else
        {
            writer.Write(data);
        }

        Assert.False(Store.Exists("pending/part-0.bin"));
        Assert.Empty(Store.List(""));

        if (useAsync)
        {
            await writer.DisposeAsync();
        }
        else
        {
            writer.Dispose();
        }

        Assert.False(writer.IsCommitted);
        Assert.False(Store.Exists("pending/part-0.bin"));
        Assert.Empty(Store.List(""));
        Assert.Throws<BlobNotFoundException>(() => Store.OpenRead("pending/part-0.bin"));
    }

    [Fact]
    public async Task Exception_in_the_middle_of_a_write_leaves_nothing()
    {
        var thrown = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await using var writer = await Store.OpenWriteAsync("crash/out.bin");
            await writer.WriteAsync(RandomBytes(4 * 1024 * 1024, seed: 5));
            throw new InvalidDataException("producer failed");
        });

        Assert.Equal("producer failed", thrown.Message);
        Assert.False(Store.Exists("crash/out.bin"));
        Assert.Empty(Store.List("crash/"));
    }

    [Fact]
    public async Task Overwrite_replaces_and_an_existing_blob_is_refused_without_it()
    {
        await WriteAsync("model.json", Encoding.UTF8.GetBytes("v1"), useAsync: false);
        await WriteAsync("model.json", Encoding.UTF8.GetBytes("version 2"), useAsync: true);
        Assert.Equal("version 2", Encoding.UTF8.GetString(await ReadAllAsync("model.json", useAsync: false)));

        var refused = Assert.Throws<BlobAlreadyExistsException>(() => Store.OpenWrite("model.json", overwrite: false));
        Assert.Equal(Store.Describe("model.json"), refused.Location);
        Assert.Contains(Store.Describe("model.json"), refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<BlobAlreadyExistsException>(() => Store.OpenWriteAsync("model.json", overwrite: false));
        Assert.Equal("version 2", Encoding.UTF8.GetString(await ReadAllAsync("model.json", useAsync: true)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_overwrite_the_first_commit_wins_and_the_second_is_refused(bool useAsync)
    {
        // Both writers pass the open-time check; only the commit can decide.
        await using var first = Store.OpenWrite("race.txt", overwrite: false);
        await using var second = Store.OpenWrite("race.txt", overwrite: false);
        first.Write("first"u8);
        second.Write("second"u8);

        await CommitAsync(first, useAsync);
        var refused = useAsync
            ? await Assert.ThrowsAsync<BlobAlreadyExistsException>(() => second.CommitAsync())
            : Assert.Throws<BlobAlreadyExistsException>(() => second.Commit());

        Assert.Contains("race.txt", refused.Message, StringComparison.Ordinal);
        Assert.Equal("first", Encoding.UTF8.GetString(await ReadAllAsync("race.txt", useAsync)));
    }

    [Fact]
    public async Task Writing_after_commit_is_refused()
    {
        await using var writer = Store.OpenWrite("once.txt");
        writer.Write("x"u8);
        writer.Commit();

        Assert.True(writer.IsCommitted);
        Assert.Throws<InvalidOperationException>(() => writer.Write("y"u8));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task List_is_recursive_ordered_and_filtered_by_prefix(bool useAsync)
    {
        string[] paths = ["b.txt", "a/2.txt", "a/sub/x.txt", "ab.txt", "a/1.txt", "c/d/e.txt"];
        for (var i = 0; i < paths.Length; i++)
        {
            await WriteAsync(paths[i], new byte[i + 1], useAsync: false);
        }

        var all = await ListAsync("", useAsync);
        Assert.Equal(["a/1.txt", "a/2.txt", "a/sub/x.txt", "ab.txt", "b.txt", "c/d/e.txt"], all.Select(b => b.Path));
        Assert.Equal(5, all.Single(b => b.Path == "a/1.txt").Length);
        Assert.Equal(3, all.Single(b => b.Path == "a/sub/x.txt").Length);

        Assert.Equal(["a/1.txt", "a/2.txt", "a/sub/x.txt"], (await ListAsync("a/", useAsync)).Select(b => b.Path));
        Assert.Equal(["a/1.txt", "a/2.txt", "a/sub/x.txt", "ab.txt"], (await ListAsync("a", useAsync)).Select(b => b.Path));
        Assert.Equal(["c/d/e.txt"], (await ListAsync("c/d/", useAsync)).Select(b => b.Path));
        Assert.Empty(await ListAsync("missing/", useAsync));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetInfo_Exists_and_Delete(bool useAsync)
    {
        Assert.Null(useAsync ? await Store.GetInfoAsync("x/y.txt") : Store.GetInfo("x/y.txt"));
        Assert.False(useAsync ? await Store.ExistsAsync("x/y.txt") : Store.Exists("x/y.txt"));

        await WriteAsync("x/y.txt", [1, 2, 3], useAsync);

        Assert.True(useAsync ? await Store.ExistsAsync("x/y.txt") : Store.Exists("x/y.txt"));
        Assert.True(useAsync ? await Store.DeleteAsync("x/y.txt") : Store.Delete("x/y.txt"));
        Assert.False(useAsync ? await Store.DeleteAsync("x/y.txt") : Store.Delete("x/y.txt"));
        Assert.False(Store.Exists("x/y.txt"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeletePrefix_deletes_the_folder_and_nothing_else(bool useAsync)
    {
        foreach (var path in new[] { "run/1/a.bin", "run/1/b/c.bin", "run/2/a.bin", "keep.bin" })
        {
            await WriteAsync(path, [7], useAsync: false);
        }

        Assert.Equal(2, useAsync ? await Store.DeletePrefixAsync("run/1/") : Store.DeletePrefix("run/1/"));
        Assert.Equal(["keep.bin", "run/2/a.bin"], Store.List("").Select(b => b.Path));
        Assert.Equal(0, useAsync ? await Store.DeletePrefixAsync("run/9/") : Store.DeletePrefix("run/9/"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MovePrefix_moves_every_blob_under_the_folder(bool useAsync)
    {
        var big = RandomBytes((4 * 1024 * 1024) + 17, seed: 11);
        await WriteAsync("staging/part-0.parquet", big, useAsync: false);
        await WriteAsync("staging/nested/part-1.parquet", [1, 2], useAsync: false);
        await WriteAsync("stagingX/other.bin", [3], useAsync: false);

        if (useAsync)
        {
            await Store.MovePrefixAsync("staging", "final/v1/");
        }
        else
        {
            Store.MovePrefix("staging/", "final/v1");
        }

        Assert.Equal(["final/v1/nested/part-1.parquet", "final/v1/part-0.parquet", "stagingX/other.bin"], Store.List("").Select(b => b.Path));
        Assert.Equal(big, await ReadAllAsync("final/v1/part-0.parquet", useAsync));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MovePrefix_refuses_an_occupied_destination_and_a_missing_source(bool useAsync)
    {
        await WriteAsync("src/a.bin", [1], useAsync: false);
        await WriteAsync("dst/existing.bin", [2], useAsync: false);

        var occupied = useAsync
            ? await Assert.ThrowsAsync<BlobAlreadyExistsException>(() => Store.MovePrefixAsync("src", "dst"))
            : Assert.Throws<BlobAlreadyExistsException>(() => Store.MovePrefix("src", "dst"));
        Assert.Contains("dst", occupied.Location, StringComparison.Ordinal);
        Assert.Equal(["dst/existing.bin", "src/a.bin"], Store.List("").Select(b => b.Path));

        var missing = useAsync
            ? await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.MovePrefixAsync("nothing-here", "elsewhere"))
            : Assert.Throws<BlobNotFoundException>(() => Store.MovePrefix("nothing-here", "elsewhere"));
        Assert.Contains("nothing-here", missing.Location, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reading_a_missing_blob_names_its_location(bool useAsync)
    {
        var error = useAsync
            ? await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync("no/such/file.csv"))
            : Assert.Throws<BlobNotFoundException>(() => Store.OpenRead("no/such/file.csv"));

        Assert.Equal(Store.Describe("no/such/file.csv"), error.Location);
        Assert.Contains(Store.Describe("no/such/file.csv"), error.Message, StringComparison.Ordinal);
        Assert.EndsWith("no/such/file.csv", error.Location, StringComparison.Ordinal);
    }

    protected static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected async Task WriteAsync(string path, byte[] data, bool useAsync)
    {
        if (useAsync)
        {
            await using var writer = await Store.OpenWriteAsync(path);
            await writer.WriteAsync(data);
            await writer.CommitAsync();
        }
        else
        {
            using var writer = Store.OpenWrite(path);
            writer.Write(data);
            writer.Commit();
        }
    }

    protected async Task<byte[]> ReadAllAsync(string path, bool useAsync)
    {
        var copy = new MemoryStream();
        if (useAsync)
        {
            await using var stream = await Store.OpenReadAsync(path);
            await stream.CopyToAsync(copy);
        }
        else
        {
            using var stream = Store.OpenRead(path);
            stream.CopyTo(copy);
        }

        return copy.ToArray();
    }

    private static Task CommitAsync(BlobWriteStream writer, bool useAsync)
    {
        if (useAsync)
        {
            return writer.CommitAsync();
        }

        writer.Commit();
        return Task.CompletedTask;
    }

    private async Task<List<BlobInfo>> ListAsync(string prefix, bool useAsync)
    {
        if (!useAsync)
        {
            return Store.List(prefix).ToList();
        }

        var found = new List<BlobInfo>();
        await foreach (var blob in Store.ListAsync(prefix))
        {
            found.Add(blob);
        }

        return found;
    }
}
