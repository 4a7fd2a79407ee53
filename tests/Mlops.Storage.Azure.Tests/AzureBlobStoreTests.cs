using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Mlops.Core.Tests.Storage;
using Mlops.Storage;
using Mlops.Storage.Azure;
using Mlops.Tests.Support;

namespace Mlops.Storage.Azure.Tests;

/// <summary>What only the Azure store does: how it uses blocks, SAS handling, ETag-checked reads, root prefixes.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests : IDisposable
{
    private readonly AzuriteFixture _azurite;
    private readonly BlobContainerClient _container;

    public AzureBlobStoreTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
        _container = azurite.NewContainer(AzureBlobStore.CreateClientOptions());
    }

    public void Dispose() => _container.DeleteIfExists();

    [Fact]
    public async Task A_write_stages_fixed_size_blocks_and_commits_them_in_order()
    {
        var store = new AzureBlobStore(_container);
        var data = new byte[(9 * 1024 * 1024) + 5];
        new Random(2).NextBytes(data);

        await using (var writer = await store.OpenWriteAsync("blocks.bin"))
        {
            await writer.WriteAsync(data);
            await writer.CommitAsync();
        }

        var blocks = (await _container.GetBlockBlobClient("blocks.bin").GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
        Assert.Equal([4L * 1024 * 1024, 4L * 1024 * 1024, (1024 * 1024) + 5], blocks.Select(b => b.SizeLong));
        Assert.Single(blocks.Select(b => b.Name.Length).Distinct());
    }

    [Fact]
    public void Before_the_commit_blocks_are_staged_but_no_blob_is_visible()
    {
        var store = new AzureBlobStore(_container, transfer: new BlobTransferOptions { BlockSize = 64 * 1024 });
        using var writer = store.OpenWrite("staged.bin");
        writer.Write(new byte[(3 * 64 * 1024) + 1]);

        // Three full blocks are on the service already, uncommitted; the blob does not exist for readers.
        var uncommitted = _container.GetBlockBlobClient("staged.bin").GetBlockList(BlockListTypes.Uncommitted).Value.UncommittedBlocks;
        Assert.Equal(3, uncommitted.Count());
        Assert.False(_container.GetBlobClient("staged.bin").Exists().Value);
        Assert.Empty(_container.GetBlobs());
    }

    [Fact]
    public void A_blob_replaced_while_being_read_fails_instead_of_mixing_versions()
    {
        var store = new AzureBlobStore(_container, transfer: new BlobTransferOptions { ReadChunkSize = 4096 });
        Write(store, "changing.txt", new string('a', 20_000));

        using var reader = store.OpenRead("changing.txt");
        var buffer = new byte[4096];
        reader.ReadExactly(buffer);
        Write(store, "changing.txt", new string('b', 20_000));

        var error = Assert.Throws<IOException>(() => reader.ReadExactly(buffer));
        Assert.Contains(store.Describe("changing.txt"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_root_prefix_confines_paths_and_listings()
    {
        var teamA = new AzureBlobStore(_container, rootPrefix: "/teams/a/");
        var whole = new AzureBlobStore(_container);
        Write(teamA, "data.csv", "x,y");
        Write(whole, "teams/b/data.csv", "z");

        Assert.Equal(["data.csv"], teamA.List("").Select(b => b.Path));
        Assert.Equal(["teams/a/data.csv", "teams/b/data.csv"], whole.List("").Select(b => b.Path));
        Assert.Equal("teams/a/", teamA.RootPrefix);
        Assert.Equal(whole.Describe("teams/a/data.csv"), teamA.Describe("data.csv"));
    }

    [Fact]
    public void A_sas_authorized_store_works_and_never_shows_the_signature()
    {
        _container.Create();
        var sasUri = _container.GenerateSasUri(BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1));
        var store = new AzureBlobStore(new BlobContainerClient(sasUri, AzureBlobStore.CreateClientOptions()));

        Write(store, "moved/a.txt", "via sas");
        store.MovePrefix("moved", "final");
        using var reader = new StreamReader(store.OpenRead("final/a.txt"));

        Assert.Equal("via sas", reader.ReadToEnd());
        Assert.DoesNotContain("sig=", store.Describe("final/a.txt"), StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", Assert.Throws<BlobNotFoundException>(() => store.OpenRead("none")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_resolver_reaches_azurite_through_an_emulator_url()
    {
        var resolver = new StorageResolver(providers:
        [
            new AzureBlobStoreProvider(new AzureBlobStorageOptions
            {
                Accounts = { [AzuriteFixture.AccountName] = new AzureBlobAccountOptions { ConnectionString = _azurite.ConnectionString } },
            }),
        ]);
        var location = resolver.Resolve($"{_azurite.BlobEndpoint}/{_container.Name}/reports/summary.txt");

        await using (var writer = await location.Store.OpenWriteAsync(location.Path))
        {
            await writer.WriteAsync(Encoding.UTF8.GetBytes("resolved"));
            await writer.CommitAsync();
        }

        Assert.Equal("resolved", (await _container.GetBlobClient("reports/summary.txt").DownloadContentAsync()).Value.Content.ToString());
    }

    private static void Write(BlobStore store, string path, string text)
    {
        using var writer = store.OpenWrite(path);
        writer.Write(Encoding.UTF8.GetBytes(text));
        writer.Commit();
    }
}
