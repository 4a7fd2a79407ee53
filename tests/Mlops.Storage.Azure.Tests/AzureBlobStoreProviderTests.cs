using Azure.Core;
using Mlops.Storage;
using Mlops.Storage.Azure;

namespace Mlops.Storage.Azure.Tests;

/// <summary>Parsing of every Azure location form the resolver accepts through the provider, and credential lookup. No network is used.</summary>
public sealed class AzureBlobStoreProviderTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly AzureBlobStorageOptions Configured = new()
    {
        Accounts =
        {
            ["mydata"] = new AzureBlobAccountOptions { ConnectionString = $"DefaultEndpointsProtocol=https;AccountName=mydata;AccountKey={Key};EndpointSuffix=core.windows.net" },
            ["govdata"] = new AzureBlobAccountOptions { ConnectionString = $"DefaultEndpointsProtocol=https;AccountName=govdata;AccountKey={Key};EndpointSuffix=core.usgovcloudapi.net" },
            ["devstoreaccount1"] = new AzureBlobAccountOptions { ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;" },
        },
    };

    [Theory]
    [InlineData("wasbs://models@mydata.blob.core.windows.net/recsys/v1/model.onnx", "models", "recsys/v1/model.onnx")]
    [InlineData("wasb://models@mydata.blob.core.windows.net/recsys/v1/model.onnx", "models", "recsys/v1/model.onnx")]
    [InlineData("abfss://features@mydata.dfs.core.windows.net/clicks/part-0.parquet", "features", "clicks/part-0.parquet")]
    [InlineData("abfs://features@mydata.dfs.core.windows.net/clicks", "features", "clicks")]
    [InlineData("https://mydata.blob.core.windows.net/features/clicks/part-0.parquet", "features", "clicks/part-0.parquet")]
    [InlineData("https://MyData.blob.core.windows.net/features/", "features", "")]
    [InlineData("https://mydata.blob.core.windows.net/features/a%20b/c%2Bd.csv", "features", "a b/c+d.csv")]
    [InlineData("wasbs://mlflow-artifacts@mydata.blob.core.windows.net/1/abc/artifacts", "mlflow-artifacts", "1/abc/artifacts")]
    public void Blob_uris_resolve_to_the_container_and_path(string location, string container, string path)
    {
        var resolved = Resolver(Configured).Resolve(location);

        var store = Assert.IsType<AzureBlobStore>(resolved.Store);
        Assert.Equal(container, store.Container.Name);
        Assert.Equal("mydata", store.Container.AccountName);
        Assert.Equal(path, resolved.Path);
        Assert.Equal($"https://mydata.blob.core.windows.net/{container}/", store.RootUri.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/data/x/y.csv", "data", "x/y.csv")]
    [InlineData("http://localhost:10000/devstoreaccount1/data/x.csv", "data", "x.csv")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/data", "data", "")]
    public void Emulator_urls_take_the_account_from_the_path(string location, string container, string path)
    {
        var resolved = Resolver(Configured).Resolve(location);

        var store = Assert.IsType<AzureBlobStore>(resolved.Store);
        Assert.Equal(container, store.Container.Name);
        Assert.Equal(path, resolved.Path);
        Assert.Equal($"http://127.0.0.1:10000/devstoreaccount1/{container}/{path}", resolved.ToString());
    }

    [Fact]
    public void Sovereign_cloud_hosts_are_accepted()
    {
        var resolved = Resolver(Configured).Resolve("wasbs://c01@govdata.blob.core.usgovcloudapi.net/p");

        Assert.Equal("https://govdata.blob.core.usgovcloudapi.net/c01/p", resolved.ToString());
    }

    [Fact]
    public void One_store_is_shared_per_account_and_container()
    {
        var resolver = Resolver(Configured);

        var a = resolver.Resolve("wasbs://features@mydata.blob.core.windows.net/a");
        var b = resolver.Resolve("https://mydata.blob.core.windows.net/features/b");
        var c = resolver.Resolve("abfss://other@mydata.dfs.core.windows.net/c");

        Assert.Same(a.Store, b.Store);
        Assert.NotSame(a.Store, c.Store);
    }

    [Fact]
    public void An_unconfigured_account_says_how_to_configure_it()
    {
        var resolver = new StorageResolver(providers: [new AzureBlobStoreProvider(Configured, environment: _ => null)]);

        var error = Assert.Throws<StorageConfigurationException>(() => resolver.Resolve("wasbs://c01@stranger.blob.core.windows.net/x"));

        Assert.Contains("'stranger'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mlops:Storage:Accounts:stranger", error.Message, StringComparison.Ordinal);
        Assert.Contains("AZURE_STORAGE_CONNECTION_STRING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_connection_string_serves_its_own_account_only()
    {
        var environment = new Dictionary<string, string?>
        {
            [AzureBlobStorageOptions.ConnectionStringVariable] = $"DefaultEndpointsProtocol=https;AccountName=envacct;AccountKey={Key};EndpointSuffix=core.windows.net",
        };
        var resolver = new StorageResolver(providers: [new AzureBlobStoreProvider(null, name => environment.GetValueOrDefault(name))]);

        var resolved = resolver.Resolve("wasbs://box@envacct.blob.core.windows.net/file.txt");

        Assert.Equal("https://envacct.blob.core.windows.net/box/file.txt", resolved.ToString());
        Assert.Throws<StorageConfigurationException>(() => resolver.Resolve("wasbs://box@otheracct.blob.core.windows.net/file.txt"));
    }

    [Fact]
    public void Sas_and_token_credentials_resolve_and_the_sas_never_shows()
    {
        var options = new AzureBlobStorageOptions
        {
            Accounts =
            {
                ["sasacct"] = new AzureBlobAccountOptions { ServiceUri = new Uri("https://sasacct.blob.core.windows.net"), SasToken = "?sv=2024-08-04&ss=b&sig=SECRET" },
                ["aadacct"] = new AzureBlobAccountOptions { ServiceUri = new Uri("https://aadacct.blob.core.windows.net"), TokenCredential = new StaticTokenCredential() },
            },
        };
        var resolver = Resolver(options);

        var sas = resolver.Resolve("wasbs://box@sasacct.blob.core.windows.net/a.txt");
        var aad = resolver.Resolve("wasbs://box@aadacct.blob.core.windows.net/a.txt");

        Assert.Contains("sig=SECRET", ((AzureBlobStore)sas.Store).Container.Uri.Query, StringComparison.Ordinal);
        Assert.Equal("https://sasacct.blob.core.windows.net/box/a.txt", sas.ToString());
        Assert.DoesNotContain("SECRET", sas.Store.RootUri.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("https://aadacct.blob.core.windows.net/box/a.txt", aad.ToString());
    }

    [Theory]
    [InlineData("s3://bucket/key", "scheme 's3'")]
    [InlineData("wasbs://mydata.blob.core.windows.net/path", "no container")]
    [InlineData("https://example.com/container/path", "host 'example.com'")]
    [InlineData("https://mydata.queue.core.windows.net/container/path", "host 'mydata.queue.core.windows.net'")]
    [InlineData("https://mydata.blob.core.windows.net/", "no container")]
    [InlineData("wasbs://Bad_Container@mydata.blob.core.windows.net/p", "'Bad_Container' is not a valid container name")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1", "/account/container/path")]
    public void Malformed_or_unsupported_locations_are_rejected_with_the_reason(string location, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => Resolver(Configured).Resolve(location));

        Assert.Contains(location, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blob_paths_that_navigate_out_of_the_root_are_rejected()
    {
        var store = (AzureBlobStore)Resolver(Configured).Resolve("wasbs://box@mydata.blob.core.windows.net/").Store;

        Assert.Throws<ArgumentException>(() => store.OpenWrite("a/../../other-container/x"));
        Assert.Throws<ArgumentException>(() => store.GetInfo("./x"));
        Assert.Throws<ArgumentException>(() => store.List("../"));
        Assert.Throws<ArgumentException>(() => store.OpenRead("folder/"));
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_resolver_is_built()
    {
        var options = new AzureBlobStorageOptions { Accounts = { ["broken"] = new AzureBlobAccountOptions() } };

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new AzureBlobStoreProvider(options));

        Assert.Contains("Accounts:broken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stores_take_the_resolvers_retries_and_clock_and_are_not_shared_between_resolvers()
    {
        var provider = new AzureBlobStoreProvider(Configured);
        var first = new StorageResolver(providers: [provider]);
        var second = new StorageResolver(new StorageOptions { Retry = { MaxRetryAttempts = 1 } }, providers: [provider]);

        var a = first.Resolve("wasbs://features@mydata.blob.core.windows.net/a");
        var b = second.Resolve("wasbs://features@mydata.blob.core.windows.net/a");

        Assert.NotSame(a.Store, b.Store);
        Assert.Same(a.Store, first.Resolve("wasbs://features@mydata.blob.core.windows.net/b").Store);
    }

    private static StorageResolver Resolver(AzureBlobStorageOptions options) => new(providers: [new AzureBlobStoreProvider(options)]);

    private sealed class StaticTokenCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token", DateTimeOffset.MaxValue);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
