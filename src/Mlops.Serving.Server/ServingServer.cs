using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Mlops.MLNet;
using Mlops.Onnx;
using Mlops.Tracking;
using Mlops.Training.Tracking;

namespace Mlops.Serving.Server;

/// <summary>
/// Builds the standalone model server from <c>mlflow models serve</c> / <c>mlserver start</c>-style arguments:
/// <c>--tracking-uri sqlite:///mlruns.db --model recsys=models:/recsys@champion --http-port 8080 --grpc-port 8081 --host 127.0.0.1</c>.
/// </summary>
public static class ServingServer
{
    /// <summary>The usage text.</summary>
    public const string Usage =
        "mlops-serving --model NAME=URI [--model NAME=URI ...] [--tracking-uri URI] [--host 127.0.0.1] [--http-port 8080] [--grpc-port 8081]\n" +
        "              [--max-batch-size N] [--max-batch-time-ms MS] [--workers N] [--api-key KEY ...] [--poll-interval-s S]\n" +
        "  URI: models:/name@alias, models:/name/version, runs:/run-id/path or a folder holding an MLmodel manifest.\n" +
        "  Ports 0 pick free ports; --grpc-port 0 (default: none) leaves gRPC off unless given.";

    /// <summary>Creates the web application (not yet started).</summary>
    /// <exception cref="ArgumentException">An argument is unknown, malformed or lacks its value; the message names it.</exception>
    public static WebApplication Build(string[] args)
    {
        var settings = Parse(args);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = System.Net.IPAddress.Parse(settings.Host);
            kestrel.Listen(address, settings.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
            if (settings.GrpcPort is { } grpcPort)
            {
                kestrel.Listen(address, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });
        builder.Services.AddMlops()
            .AddTracking(o => o.TrackingUri = settings.TrackingUri)
            .AddTorchSharpFlavor()
            .AddMLNetFlavor()
            .AddOnnxFlavor()
            .AddServing(o =>
            {
                foreach (var (name, uri) in settings.Models)
                {
                    var model = o.AddModel(name, uri);
                    model.MaxBatchSize = settings.MaxBatchSize;
                    model.MaxBatchTime = settings.MaxBatchTime;
                    model.Workers = settings.Workers;
                }

                o.ApiKeys.AddRange(settings.ApiKeys);
                if (settings.PollInterval is { } poll)
                {
                    o.RegistryPollInterval = poll;
                }
            });
        var app = builder.Build();
        app.MapInferenceProtocol();
        return app;
    }

    internal sealed record Settings(
        string TrackingUri,
        IReadOnlyList<(string Name, string Uri)> Models,
        string Host,
        int HttpPort,
        int? GrpcPort,
        int MaxBatchSize,
        TimeSpan MaxBatchTime,
        int Workers,
        IReadOnlyList<string> ApiKeys,
        TimeSpan? PollInterval);

    internal static Settings Parse(string[] args)
    {
        var trackingUri = Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI") ?? "sqlite:///mlruns.db";
        var models = new List<(string, string)>();
        var keys = new List<string>();
        var host = "127.0.0.1";
        var httpPort = 8080;
        int? grpcPort = null;
        var maxBatchSize = 1;
        var maxBatchTime = TimeSpan.FromMilliseconds(2);
        var workers = 1;
        TimeSpan? poll = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"The argument {name} needs a value.\n{Usage}");
            int Number(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new ArgumentException($"Invalid {name} '{text}': expected a whole number from {min} to {max}.");
            }

            switch (name)
            {
                case "--tracking-uri":
                    trackingUri = Value();
                    break;
                case "--model" or "-m":
                    var spec = Value();
                    var eq = spec.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0 || eq == spec.Length - 1)
                    {
                        throw new ArgumentException($"Invalid --model '{spec}': expected NAME=URI, such as recsys=models:/recsys@champion.");
                    }

                    models.Add((spec[..eq], spec[(eq + 1)..]));
                    break;
                case "--host":
                    host = Value();
                    if (!System.Net.IPAddress.TryParse(host, out _))
                    {
                        throw new ArgumentException($"Invalid --host '{host}': expected an IP address such as 127.0.0.1 (or 0.0.0.0 to listen on every interface).");
                    }

                    break;
                case "--http-port" or "--port" or "-p":
                    httpPort = Number(0, 65535);
                    break;
                case "--grpc-port":
                    grpcPort = Number(0, 65535);
                    break;
                case "--max-batch-size":
                    maxBatchSize = Number(1, 1_000_000);
                    break;
                case "--max-batch-time-ms":
                    maxBatchTime = TimeSpan.FromMilliseconds(Number(0, 60_000));
                    break;
                case "--workers":
                    workers = Number(1, 256);
                    break;
                case "--api-key":
                    keys.Add(Value());
                    break;
                case "--poll-interval-s":
                    poll = TimeSpan.FromSeconds(Number(1, 86_400));
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{name}'.\n{Usage}");
            }
        }

        if (models.Count == 0)
        {
            throw new ArgumentException($"No model to serve: give at least one --model NAME=URI.\n{Usage}");
        }

        return new Settings(trackingUri, models, host, httpPort, grpcPort, maxBatchSize, maxBatchTime, workers, keys, poll);
    }
}
