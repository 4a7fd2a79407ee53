using Mlops.Serving.Batching;
using Mlops.Serving.Models;

namespace Mlops.Serving.Hosting;

/// <summary>
/// A loaded version while it serves: its batcher and a count of the requests using it, so that a swap or unload can
/// let those finish (drain) before the version is disposed.
/// </summary>
internal sealed class ModelRuntime
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _closing;
    private Task? _closed;

    public ModelRuntime(LoadedVersion version, ModelBatcher batcher)
    {
        Version = version;
        Batcher = batcher;
    }

    public LoadedVersion Version { get; }

    public ModelBatcher Batcher { get; }

    /// <summary>Counts a request in; false once the version is closing (the caller takes the version swapped in).</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _inFlight);
        if (!_closing)
        {
            return true;
        }

        Release();
        return false;
    }

    /// <summary>Counts a request out.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _closing)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Takes no new requests, waits for those in flight, then stops the batcher and disposes the model.</summary>
    public Task CloseAsync()
    {
        lock (_drained)
        {
            return _closed ??= CloseOnceAsync();
        }
    }

    private async Task CloseOnceAsync()
    {
        _closing = true;
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }

        await _drained.Task.ConfigureAwait(false);
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Version.Dispose();
    }
}
