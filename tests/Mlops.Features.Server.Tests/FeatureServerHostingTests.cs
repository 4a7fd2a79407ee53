using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;

namespace Mlops.Features.Server.Tests;

public sealed class FeatureServerHostingTests
{
    [Fact]
    public void Mapping_without_a_FeatureStoreClient_says_how_to_register_one()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapFeatureServer());

        Assert.Contains("AddFeatureStore()", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => app.MapFeatureServer(o => o.MaxRequestBodyBytes = 0));
    }

    [Fact]
    public async Task The_readmes_host_serves_under_a_group_prefix_over_AddFeatureStore_and_AddSqliteOnlineStore()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fs-server-host-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Mlops:FeatureStore:Project"] = "shop",
                ["Mlops:FeatureStore:Registry"] = Path.Combine(folder, "registry.db"),
                ["Mlops:FeatureStore:Sqlite:Path"] = Path.Combine(folder, "online.db"),
            });
            ListenOptions? endpoint = null;
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; endpoint = l; }));
            builder.Services.AddMlops(builder.Configuration).AddFeatureStore().AddSqliteOnlineStore();
            await using var app = builder.Build();
            app.MapGroup("/features").MapFeatureServer();
            await app.StartAsync();
            var client = app.Services.GetRequiredService<FeatureStoreClient>();
            await client.ApplyAsync(
            [
                new Entity("product", ["sku"], FeatureValueType.String),
                new FeatureView("prices", new PushSource("prices_push", null), ["product"], [new FeatureField("price", FeatureValueType.Float32), new FeatureField("in_stock", FeatureValueType.Bool)]),
            ]);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint!.IPEndPoint!.Port}/features/") };

            using var pushed = await http.PostAsJsonAsync("push", new { push_source_name = "prices_push", df = new Dictionary<string, object[]> { ["sku"] = ["a-1"], ["event_timestamp"] = ["2026-01-01T00:00:00Z"], ["price"] = [2.5], ["in_stock"] = [true] } });
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
            using var read = await http.PostAsJsonAsync("get-online-features", new { features = new[] { "prices:price", "prices:in_stock" }, entities = new Dictionary<string, object[]> { ["sku"] = ["a-1", "b-2"] } });
            var body = await read.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(
                """{"metadata":{"feature_names":["sku","price","in_stock"]},"results":[{"values":["a-1","b-2"],"statuses":["PRESENT","PRESENT"],"event_timestamps":["1970-01-01T00:00:00Z","1970-01-01T00:00:00Z"]},{"values":[2.5,null],"statuses":["PRESENT","NOT_FOUND"],"event_timestamps":["2026-01-01T00:00:00Z","1970-01-01T00:00:00Z"]},{"values":[true,null],"statuses":["PRESENT","NOT_FOUND"],"event_timestamps":["2026-01-01T00:00:00Z","1970-01-01T00:00:00Z"]}]}""",
                body);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
            await app.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
