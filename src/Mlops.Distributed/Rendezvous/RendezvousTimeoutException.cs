namespace Mlops.Distributed.Rendezvous;

/// <summary>
/// A wait on the rendezvous store passed its deadline. <see cref="MissingKeys"/> lists the keys that never appeared and,
/// for barriers and rank-keyed waits, <see cref="MissingRanks"/> the ranks that did not arrive.
/// </summary>
public class RendezvousTimeoutException : RendezvousException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was awaited, for how long, and who did not arrive.</param>
    /// <param name="missingKeys">The keys that were still absent.</param>
    /// <param name="missingRanks">The ranks that did not arrive, when the wait was per rank.</param>
    public RendezvousTimeoutException(string message, IReadOnlyList<string> missingKeys, IReadOnlyList<int> missingRanks)
        : base(message)
    {
        MissingKeys = missingKeys;
        MissingRanks = missingRanks;
    }

    /// <summary>The keys that were still absent at the deadline.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>The ranks that did not arrive (empty when the wait was not per rank).</summary>
    public IReadOnlyList<int> MissingRanks { get; }
}
