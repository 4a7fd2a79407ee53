using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Tracking.Server;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Server;

/// <summary>The tracking server on Kestrel at 127.0.0.1 on a free port, over a SQLite store in a temp folder.</summary>
public sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(WebApplication app, string uri, TempFolder folder)
    {
        App = app;
        Uri = uri;
        Folder = folder;
    }

    public WebApplication App { get; }

    public string Uri { get; }

    public TempFolder Folder { get; }

    /// <summary>Starts the server; <paramref name="extraArguments"/> go after the store, host and port ones.</summary>
    public static async Task<ServerHarness> StartAsync(params string[] extraArguments)
    {
        var folder = new TempFolder();
        var app = TrackingServer.Build(["--backend-store-uri", "sqlite:///" + folder.Combine("server.db").TrimStart('/').Insert(0, "/"),
            "--default-artifact-root", folder.Combine("artifacts"), "--host", "127.0.0.1", "--port", "0", .. extraArguments]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServerHarness(app, address.TrimEnd('/'), folder);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Folder.Dispose();
    }
}
