using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mlops.Serving.Hosting;
using Mlops.Serving.Inference;
using OpenTelemetry.Exporter;

namespace Mlops.Serving.Tests.FrontEnds;

/// <summary>A real Kestrel host on loopback: HTTP/1.1 for REST and /metrics, an HTTP/2-only (h2c) endpoint for gRPC, over <see cref="FakeInferenceService"/>.</summary>
internal sealed class ServingTestHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ServingTestHost(WebApplication app, FakeInferenceService service, Uri rest, Uri grpc)
    {
        this.app = app;
        Service = service;
        Http = new HttpClient { BaseAddress = rest };
        Channel = GrpcChannel.ForAddress(grpc, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        Grpc = new Mlops.Serving.Grpc.Protocol.GRPCInferenceService.GRPCInferenceServiceClient(Channel);
    }

    public FakeInferenceService Service { get; }

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public Mlops.Serving.Grpc.Protocol.GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    public static async Task<ServingTestHost> StartAsync(Action<ServingOptions>? configure = null, Action<InferenceProtocolEndpointOptions>? map = null)
    {
        var options = new ServingOptions();
        configure?.Invoke(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? restEndpoint = null;
        ListenOptions? grpcEndpoint = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http1; restEndpoint = l; });
            kestrel.Listen(IPAddress.Loopback, 0, l => { l.Protocols = HttpProtocols.Http2; grpcEndpoint = l; });
        });
        builder.Services.AddSingleton<FakeInferenceService>();
        builder.Services.AddSingleton<InferenceService>(sp => sp.GetRequiredService<FakeInferenceService>());
        builder.Services.AddSingleton(Options.Create(options));
        InferenceProtocolServices.Add(builder.Services);
        // Every scrape sees the counters as they are now, not a cached copy of an earlier scrape.
        builder.Services.Configure<PrometheusAspNetCoreOptions>(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
        var app = builder.Build();
        app.MapInferenceProtocol(map);
        await app.StartAsync();
        var rest = new Uri($"http://127.0.0.1:{restEndpoint!.IPEndPoint!.Port}/");
        var grpc = new Uri($"http://127.0.0.1:{grpcEndpoint!.IPEndPoint!.Port}/");
        return new ServingTestHost(app, app.Services.GetRequiredService<FakeInferenceService>(), rest, grpc);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
