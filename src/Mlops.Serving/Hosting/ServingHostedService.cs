using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Serving.Inference;
using Mlops.Tracking;

namespace Mlops.Serving.Hosting;

/// <summary>
/// Loads the configured models when the host starts (a model that fails to load is UNAVAILABLE with its reason; the
/// host starts anyway and readiness tells) and starts the alias polls; stops them and drains every model at stop.
/// </summary>
internal sealed class ServingHostedService : IHostedService
{
    private readonly IServiceProvider _services;
    private ServingInferenceService? _started;

    public ServingHostedService(IServiceProvider services) => _services = services;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_services.GetService<TrackingClient>() is null)
        {
            throw new InvalidOperationException(
                "Mlops.Serving loads models through Mlops.Tracking, but no TrackingClient is registered: call .AddTracking() on the Mlops builder " +
                "(services.AddMlops(...).AddTracking(o => o.TrackingUri = \"sqlite:///mlruns.db\").AddServing(...)), with the model flavors the models need (.AddTorchSharpFlavor(), .AddMLNetFlavor()).");
        }

        _started = Service;
        return _started.StartAsync(cancellationToken);
    }

    // Only a service this started is stopped: a host whose start failed (bad options) has nothing to drain.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_started is { } service)
        {
            await service.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ServingInferenceService Service => _services.GetRequiredService<InferenceService>() as ServingInferenceService
        ?? throw new InvalidOperationException("The InferenceService registered is not the one AddServing registers, so this hosted service has nothing to load.");
}
