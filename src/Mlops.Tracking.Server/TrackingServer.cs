using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Mlops.Tracking.Server;

/// <summary>
/// Builds the standalone server from <c>mlflow server</c>-style arguments:
/// <c>--backend-store-uri sqlite:///mlflow.db --default-artifact-root ./mlruns --host 127.0.0.1 --port 5000</c>,
/// plus <c>--allowed-origins https://a.example,https://b.example</c> and <c>--max-request-body-size BYTES</c> (<see cref="MlflowRestApiOptions"/>).
/// </summary>
public static class TrackingServer
{
    /// <summary>Creates the web application (not yet started). Port 0 picks a free port.</summary>
    /// <param name="args">The command line.</param>
    /// <exception cref="ArgumentException">An argument is unknown or lacks its value; the message names it.</exception>
    public static WebApplication Build(string[] args)
    {
        var options = ParseArguments(args);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Api.MaxRequestBodySize;

            // Above the API's own URL limit, so an over-long URL gets MLflow's JSON 414 from the API, not Kestrel's bare one.
            kestrel.Limits.MaxRequestLineSize = Math.Max(MlflowRestApiOptions.KestrelMaxRequestLineSize, options.Api.MaxRequestTargetLength + 1024);
        });
        builder.Services.AddMlops().AddTracking(o =>
        {
            o.TrackingUri = options.BackendStoreUri;
            o.DefaultArtifactRoot = options.DefaultArtifactRoot;
        });
        var app = builder.Build();
        app.MapMlflowRestApi(options.Api);
        return app;
    }

    internal static (string BackendStoreUri, string? DefaultArtifactRoot, string Host, int Port, MlflowRestApiOptions Api) ParseArguments(string[] args)
    {
        var api = new MlflowRestApiOptions();
        var backend = "sqlite:///mlflow.db";
        string? artifactRoot = null;
        var host = "127.0.0.1";
        var port = 5000;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"The argument {args[i]} needs a value.");
            switch (args[i])
            {
                case "--backend-store-uri":
                    backend = Value();
                    break;
                case "--default-artifact-root" or "--artifacts-destination":
                    artifactRoot = Value();
                    break;
                case "--host" or "-h":
                    host = Value();
                    break;
                case "--port" or "-p":
                    var text = Value();
                    port = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed <= 65535
                        ? parsed
                        : throw new ArgumentException($"Invalid --port '{text}': expected a number from 0 to 65535.");
                    break;
                case "--allowed-origins":
                    foreach (var origin in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        api.AllowedOrigins.Add(origin);
                    }

                    break;
                case "--max-request-body-size":
                    var size = Value();
                    api.MaxRequestBodySize = long.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0
                        ? bytes
                        : throw new ArgumentException($"Invalid --max-request-body-size '{size}': expected a positive number of bytes.");
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Use --backend-store-uri, --default-artifact-root, --host, --port, --allowed-origins and --max-request-body-size.");
            }
        }

        return (backend, artifactRoot, host, port, api);
    }
}
