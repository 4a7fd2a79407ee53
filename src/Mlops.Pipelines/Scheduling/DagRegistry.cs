namespace Mlops.Pipelines;

/// <summary>The DAGs a host knows, by id.</summary>
public sealed class DagRegistry
{
    private readonly Dictionary<string, Dag> _dags = new(StringComparer.Ordinal);

    /// <summary>Creates a registry.</summary>
    /// <param name="dags">The DAGs; ids must be unique.</param>
    /// <exception cref="DagValidationException">Two DAGs have the same id.</exception>
    public DagRegistry(IEnumerable<Dag> dags)
    {
        ArgumentNullException.ThrowIfNull(dags);
        foreach (var dag in dags)
        {
            if (!_dags.TryAdd(dag.DagId, dag))
            {
                throw new DagValidationException($"Two DAGs are registered with id '{dag.DagId}'; DAG ids must be unique.", dag.DagId);
            }
        }
    }

    /// <summary>The DAGs, by id.</summary>
    public IReadOnlyCollection<Dag> Dags => _dags.Values;

    /// <summary>The DAG with the given id.</summary>
    /// <param name="dagId">The DAG's id.</param>
    /// <returns>The DAG.</returns>
    /// <exception cref="DagRunNotFoundException">No DAG has that id.</exception>
    public Dag Get(string dagId) => _dags.TryGetValue(dagId, out var dag) ? dag
        : throw new DagRunNotFoundException($"No DAG '{dagId}' is registered; known: {string.Join(", ", _dags.Keys.Order())}.", dagId);
}
