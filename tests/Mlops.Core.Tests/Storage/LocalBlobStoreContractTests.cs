using Mlops.Storage;
using Mlops.Tests.Support;

namespace Mlops.Core.Tests.Storage;

public sealed class LocalBlobStoreContractTests : BlobStoreContractTests, IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public LocalBlobStoreContractTests() => Store = new LocalBlobStore(Path.Combine(_folder.Path, "store"));

    protected override BlobStore Store { get; }

    public void Dispose() => _folder.Dispose();
}
