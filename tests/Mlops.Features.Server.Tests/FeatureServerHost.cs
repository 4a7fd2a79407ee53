using System.Net;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Online;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Features.Server.Tests;

/// <summary>
/// A real Kestrel on 127.0.0.1 (a free port) mapping the feature server over a real client: a SQLite registry and a
/// SQLite online store in a temp folder, sources as Parquet files there, time from a <see cref="FakeTimeProvider"/>.
/// Defines the entity <c>user</c>, the view <c>user_stats</c> (clicks, score; TTL 2 h) over a file, the view
/// <c>events</c> over the push source <c>events_push</c>, and the service <c>model</c> (user_stats:score).
/// </summary>
internal sealed class FeatureServerHost : IAsyncDisposable
{
    public static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static readonly Schema RowSchema = new(
        [
            new Field("user_id", Int64Type.Default, true),
            new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("created", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("clicks", Int64Type.Default, true),
            new Field("score", DoubleType.Default, true),
        ],
        null);

    private readonly WebApplication _app;
    private readonly SqliteFeatureRegistry _registry;
    private readonly SqliteOnlineStore _online;

    private FeatureServerHost(WebApplication app, SqliteFeatureRegistry registry, SqliteOnlineStore online, FeatureStoreClient client, FakeTimeProvider time, string folder, Uri address)
    {
        _app = app;
        _registry = registry;
        _online = online;
        Client = client;
        Time = time;
        Folder = folder;
        Http = new HttpClient { BaseAddress = address };
    }

    public FeatureStoreClient Client { get; }

    public FakeTimeProvider Time { get; }

    public string Folder { get; }

    public HttpClient Http { get; }

    public static DateTime H(double hours) => T0.AddHours(hours);

    public static async Task<FeatureServerHost> StartAsync(Action<FeatureServerOptions>? configure = null, Func<FeatureStoreClient, FeatureStoreClient>? serve = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fs-server-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var time = new FakeTimeProvider(new DateTimeOffset(T0));
        var registry = new SqliteFeatureRegistry(Path.Combine(folder, "registry.db"), "test", TimeSpan.Zero, time);
        var online = new SqliteOnlineStore(Path.Combine(folder, "online.db"));
        var client = new FeatureStoreClient(registry, online, new FeatureStoreOptions { Project = "test", SpillDirectory = Path.Combine(folder, "spill") }, timeProvider: time);

        var statsPath = WriteRows(folder, "user_stats.parquet", [[1L, H(-1), H(-1), 10L, 1.5], [2L, H(-0.5), H(-0.5), 20L, null], [3L, H(-5), H(-5), 30L, 3.25]]);
        var user = new Entity("user", ["user_id"], FeatureValueType.Int64);
        var stats = new FeatureView("user_stats", new FileSource("user_stats_source", statsPath) { CreatedTimestampField = "created" }, ["user"], [new FeatureField("clicks", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64)])
        {
            Ttl = TimeSpan.FromHours(2),
        };
        var batch = new FileSource("events_batch", WriteRows(folder, "events", [[1L, H(-3), H(-3), 1L, 0.5]])) { CreatedTimestampField = "created" };
        var events = new FeatureView("events", new PushSource("events_push", batch), ["user"], [new FeatureField("clicks", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64)])
        {
            Offline = true,
        };
        var service = new FeatureService("model", [new FeatureViewSelection("user_stats", ["score"])]);
        await client.ApplyAsync([user, stats, events, service]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? endpoint = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; endpoint = l; }));
        builder.Services.AddSingleton(serve?.Invoke(client) ?? client);
        var app = builder.Build();
        app.MapFeatureServer(configure);
        await app.StartAsync();
        return new FeatureServerHost(app, registry, online, client, time, folder, new Uri($"http://127.0.0.1:{endpoint!.IPEndPoint!.Port}/"));
    }

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string body, string contentType = "application/json")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        using var response = await Http.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, byte[] body, string? contentType = "application/json")
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await Http.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _online.Dispose();
        _registry.Dispose();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    private static string WriteRows(string folder, string name, IEnumerable<object?[]> rows)
    {
        var path = Path.Combine(folder, name);
        Frame.FromRows(RowSchema, rows.Select(r => (IReadOnlyList<object?>)r).ToList()).WriteParquet(path);
        return path;
    }
}
