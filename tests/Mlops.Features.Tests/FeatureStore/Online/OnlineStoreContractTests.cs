using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Tests.Parquet;
using Mlops.Testing.FeatureStore;

namespace Mlops.Features.Tests.FeatureStore.Online;

/// <summary>The contract on the SQLite store over a real file.</summary>
public sealed class SqliteOnlineStoreContractTests : OnlineStoreContract
{
    private readonly TempFolder _folder = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }

    protected override ValueTask<OnlineStore> CreateStoreAsync() =>
        ValueTask.FromResult<OnlineStore>(new SqliteOnlineStore(_folder.Combine("online.db")));
}

/// <summary>The contract on Mlops.Testing's in-memory store (the SQLite store over an in-memory database).</summary>
public sealed class InMemoryOnlineStoreContractTests : OnlineStoreContract
{
    protected override ValueTask<OnlineStore> CreateStoreAsync() => ValueTask.FromResult<OnlineStore>(new InMemoryOnlineStore());
}
