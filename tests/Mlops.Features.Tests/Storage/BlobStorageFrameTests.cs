using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Azure.Storage.Blobs;
using Mlops.Storage;
using Mlops.Storage.Azure;
using Mlops.Tests.Support;

namespace Mlops.Features.Tests.Storage;

/// <summary>Frames read from and written to Azure Blob Storage (a real Azurite), through the same readers and writer as local files.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class BlobStorageFrameTests
{
    private static readonly Schema Clicks = new Schema.Builder()
        .Field(f => f.Name("user_id").DataType(Int64Type.Default).Nullable(false))
        .Field(f => f.Name("duration").DataType(DoubleType.Default))
        .Field(f => f.Name("page").DataType(StringType.Default))
        .Build();

    private readonly AzuriteFixture _azurite;
    private readonly StorageResolver _resolver;
    private readonly BlobContainerClient _container;

    public BlobStorageFrameTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
        _resolver = new StorageResolver(providers:
        [
            new AzureBlobStoreProvider(new AzureBlobStorageOptions
            {
                Accounts = { [AzuriteFixture.AccountName] = new AzureBlobAccountOptions { ConnectionString = azurite.ConnectionString } },
            }),
        ]);
        _container = azurite.NewContainer();
        _container.CreateIfNotExists();
    }

    private string Url(string path) => $"{_azurite.BlobEndpoint}/{_container.Name}/{path}";

    [Fact]
    public void Parquet_written_to_blob_storage_reads_back_identically_with_a_success_marker()
    {
        var frame = Frame.FromRows(Clicks, Enumerable.Range(0, 5000).Select(i => (IReadOnlyList<object?>)[(long)i, i % 7 == 0 ? null : i * 0.5, "p" + (i % 13)]), batchSize: 700);

        var result = frame.WriteParquet(Url("out/clicks"), new ParquetWriteOptions { Resolver = _resolver, RowGroupSize = 1000 });
        var back = Frame.ReadParquet(Url("out/clicks"), new ParquetReadOptions { Resolver = _resolver });

        Assert.Equal(5000, result.Rows);
        Assert.Equal(5000, back.Count());
        Assert.Equal(
            frame.Collect().Select(r => r.ToString()).Order(StringComparer.Ordinal),
            back.Collect().Select(r => r.ToString()).Order(StringComparer.Ordinal));
        var names = _container.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "out/", default).Select(b => b.Name).ToList();
        Assert.Contains("out/clicks/_SUCCESS", names);
        Assert.All(names, n => Assert.StartsWith("out/clicks/", n, StringComparison.Ordinal));
    }

    [Fact]
    public void A_write_that_fails_half_way_leaves_nothing_visible_in_the_container()
    {
        var good = Frame.FromRows(Clicks, [[1L, 1.0, "a"]]).ReadBatches().Single();
        var partitions = new FramePartition[] { _ => [good], _ => Fail(good) };
        var frame = Frame.FromPartitions(Clicks, partitions);

        Assert.Throws<IOException>(() => frame.WriteParquet(Url("broken"), new ParquetWriteOptions { Resolver = _resolver, DegreeOfParallelism = 1 }));

        Assert.Empty(_container.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "broken", default));
        Assert.Throws<BlobNotFoundException>(() => Frame.ReadParquet(Url("broken"), new ParquetReadOptions { Resolver = _resolver }));

        static IEnumerable<RecordBatch> Fail(RecordBatch batch)
        {
            yield return batch;
            throw new IOException("the source went away");
        }
    }

    [Fact]
    public void Csv_and_json_lines_are_read_from_a_blob_folder_and_a_glob()
    {
        Upload("raw/users/part-0.jsonl", "{\"user_id\":1,\"age\":30}\n{\"user_id\":2}\n");
        Upload("raw/users/part-1.jsonl", "{\"user_id\":3,\"age\":51}\n");
        Upload("raw/users/_SUCCESS", string.Empty);
        Upload("raw/products.csv", "product_id,price\n10,2.5\n11,\"3.25\"\n");

        var users = Frame.ReadJson(Url("raw/users"), new JsonReadOptions { Resolver = _resolver });
        var globbed = Frame.ReadJson(Url("raw/users/*.jsonl"), new JsonReadOptions { Resolver = _resolver });
        var products = Frame.ReadCsv(Url("raw/products.csv"), new CsvReadOptions { Header = true, InferSchema = true, Resolver = _resolver });

        Assert.Equal([30L, null, 51L], users.Collect().Select(r => r["age"]));
        Assert.Equal(3, globbed.Count());
        Assert.Equal([2.5, 3.25], products.Collect().Select(r => r["price"]));
    }

    [Fact]
    public void A_malformed_blob_names_its_url_line_and_column()
    {
        Upload("bad.csv", "id,price\n1,2.0\n2,cheap\n");
        var schema = new Schema.Builder()
            .Field(f => f.Name("id").DataType(Int64Type.Default))
            .Field(f => f.Name("price").DataType(DoubleType.Default))
            .Build();

        var e = Assert.Throws<DataFormatException>(() => Frame.ReadCsv(Url("bad.csv"), new CsvReadOptions { Header = true, Schema = schema, Resolver = _resolver }).Count());

        Assert.Contains($"{_container.Name}/bad.csv:3", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Equal("price", e.Column);
    }

    private void Upload(string name, string content) =>
        _container.GetBlobClient(name).Upload(new BinaryData(Encoding.UTF8.GetBytes(content)), overwrite: true);
}
