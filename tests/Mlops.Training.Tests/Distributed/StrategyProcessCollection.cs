namespace Mlops.Training.Tests.Distributed;

/// <summary>
/// Tests that start worker processes, or that rely on torch's global generator: they run one at a time, alone (nothing
/// else draws random numbers meanwhile, and a few workers share the machine's cores, not dozens).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StrategyProcessCollection
{
    public const string Name = "strategy worker processes";
}
