using Azure.Storage.Blobs;
using Mlops.Core.Tests.Storage;
using Mlops.Storage;
using Mlops.Storage.Azure;
using Mlops.Tests.Support;

namespace Mlops.Storage.Azure.Tests;

/// <summary>The store contract against a real Azurite, in a container that the first write creates, under a root prefix.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreContractTests : BlobStoreContractTests, IDisposable
{
    private readonly BlobContainerClient _container;

    public AzureBlobStoreContractTests(AzuriteFixture azurite)
    {
        _container = azurite.NewContainer(AzureBlobStore.CreateClientOptions());
        Store = new AzureBlobStore(_container, rootPrefix: "tenant/a/");
    }

    protected override BlobStore Store { get; }

    public void Dispose() => _container.DeleteIfExists();
}
