namespace Mlops.Training.Distributed;

/// <summary>
/// The replica context of the code running inside a strategy's <c>Scope</c>: models built there capture it and train
/// with it; outside any scope they train alone (<see cref="LocalReplicaContext"/>).
/// </summary>
internal static class ReplicaScope
{
    private static readonly AsyncLocal<IReplicaContext?> Ambient = new();

    /// <summary>The context of the innermost scope on this flow, or null outside every scope.</summary>
    public static IReplicaContext? Current => Ambient.Value;

    /// <summary>Makes <paramref name="context"/> current until the returned handle is disposed.</summary>
    public static IDisposable Enter(IReplicaContext context)
    {
        var previous = Ambient.Value;
        Ambient.Value = context;
        return new Exit(previous);
    }

    private sealed class Exit(IReplicaContext? previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                Ambient.Value = previous;
            }
        }
    }
}
