using Mlops.Features.FeatureStore.Online;
using Mlops.Features.Redis.Tests.Support;
using Mlops.Features.Tests.FeatureStore.Online;

namespace Mlops.Features.Redis.Tests;

/// <summary>The online store contract on a real redis-server; each test has its own key prefix on the shared server.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisOnlineStoreContractTests(RedisServerFixture redis) : OnlineStoreContract
{
    protected override ValueTask<OnlineStore> CreateStoreAsync() => ValueTask.FromResult<OnlineStore>(new RedisOnlineStore(new RedisOnlineStoreOptions
    {
        ConnectionString = redis.ConnectionString,
        KeyPrefix = $"contract-{Guid.NewGuid():N}:",
    }));
}
