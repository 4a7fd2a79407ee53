using Mlops.Storage;
using Mlops.Tests.Support;

namespace Mlops.Core.Tests.Storage;

/// <summary>Local locations, and how the resolver hands every other location to its providers. No network is used.</summary>
public sealed class StorageResolverTests
{
    [Fact]
    public void Local_paths_and_file_uris_resolve_to_the_file_system()
    {
        using var folder = new TemporaryFolder();
        var resolver = new StorageResolver();
        var file = Path.Combine(folder.Path, "data", "clicks.parquet");

        var fromPath = resolver.Resolve(file);
        var fromUri = resolver.Resolve(new Uri(file).AbsoluteUri);
        var relative = resolver.Resolve(Path.GetRelativePath(Environment.CurrentDirectory, file));

        Assert.IsType<LocalBlobStore>(fromPath.Store);
        Assert.Equal(file, fromPath.ToString());
        Assert.Equal(file, fromUri.ToString());
        Assert.Equal(file, relative.ToString());
        Assert.Same(fromPath.Store, fromUri.Store);
    }

    [Fact]
    public void Local_paths_that_escape_the_store_root_are_rejected()
    {
        using var folder = new TemporaryFolder();
        var store = new LocalBlobStore(Path.Combine(folder.Path, "root"));

        Assert.Throws<ArgumentException>(() => store.GetFullPath("../outside.txt"));
        Assert.Throws<ArgumentException>(() => store.OpenWrite("a/../../outside.txt"));
        Assert.Throws<ArgumentException>(() => store.List("../elsewhere/"));

        // A sibling folder whose name starts with the root's name is outside too.
        Assert.Throws<ArgumentException>(() => store.GetFullPath("../root-sibling/x.txt"));
        Assert.Equal(Path.Combine(folder.Path, "root", "a", "b.txt"), store.GetFullPath("/a/b.txt"));
    }

    [Theory]
    [InlineData("wasbs://models@mydata.blob.core.windows.net/recsys/model.onnx")]
    [InlineData("abfss://features@mydata.dfs.core.windows.net/clicks")]
    [InlineData("https://mydata.blob.core.windows.net/features/clicks/part-0.parquet")]
    public void An_azure_location_without_a_provider_names_the_package_to_add(string location)
    {
        var error = Assert.Throws<StorageConfigurationException>(() => new StorageResolver().Resolve(location));

        Assert.Contains(location, error.Message, StringComparison.Ordinal);
        Assert.Contains("Mlops.Storage.Azure", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddAzureBlobStorage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_scheme_is_rejected_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => StorageResolver.Default.Resolve("s3://bucket/key"));

        Assert.Contains("scheme 's3'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Providers_are_asked_in_order_with_the_lower_case_scheme_and_the_resolver()
    {
        using var folder = new TemporaryFolder();
        var memory = new FolderProvider("mem", folder.Path);
        var never = new FolderProvider("mem", folder.Path);
        var resolver = new StorageResolver(providers: [memory, never]);

        var resolved = resolver.Resolve("MEM://bucket/a/b.txt");

        Assert.Equal("a/b.txt", resolved.Path);
        Assert.Same(resolver, memory.AskedBy);
        Assert.Null(never.AskedBy);
        Assert.Equal(resolver.TimeProvider, TimeProvider.System);
        Assert.IsType<LocalBlobStore>(resolved.Store);
        Assert.Throws<ArgumentException>(() => new StorageResolver(providers: [null!]));
    }

    /// <summary>A provider of one scheme over a local folder, recording who asked.</summary>
    private sealed class FolderProvider(string scheme, string root) : IBlobStoreProvider
    {
        private readonly LocalBlobStore _store = new(root);

        public StorageResolver? AskedBy { get; private set; }

        public bool CanResolve(string locationScheme, string location) => locationScheme == scheme;

        public StorageLocation Resolve(string location, StorageResolver resolver)
        {
            AskedBy = resolver;
            var path = location[(location.IndexOf("://", StringComparison.Ordinal) + 3)..];
            return new StorageLocation(_store, path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        }
    }
}
