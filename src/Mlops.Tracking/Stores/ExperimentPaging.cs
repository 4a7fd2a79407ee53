using System.Globalization;
using Mlops.Tracking.Search;

namespace Mlops.Tracking.Stores;

/// <summary>Orders and pages experiments (few enough to sort in memory) the way MLflow's search_experiments does.</summary>
internal static class ExperimentPaging
{
    public static PagedList<Experiment> Page(IEnumerable<Experiment> experiments, IReadOnlyList<string>? orderBy, int maxResults, int offset, string? filter = null)
    {
        var clauses = Registry.RegistryFilter.Parse(filter, forVersions: false);
        experiments = experiments.Where(e => clauses.All(c => Registry.RegistryFilter.Matches(c, e.Name, null, null, e.Tags))).ToList();
        IOrderedEnumerable<Experiment>? ordered = null;
        foreach (var clause in orderBy ?? [])
        {
            var parts = clause.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var key = parts[0].StartsWith("attributes.", StringComparison.Ordinal) ? parts[0]["attributes.".Length..] : parts[0];
            var descending = parts.Length > 1 && parts[1].Equals("DESC", StringComparison.OrdinalIgnoreCase);
            if (parts.Length > 2 || (parts.Length == 2 && !descending && !parts[1].Equals("ASC", StringComparison.OrdinalIgnoreCase)))
            {
                throw MlflowException.InvalidParameter($"Invalid order_by clause '{clause}'. Could not be parsed.");
            }

            Func<Experiment, IComparable> selector = key switch
            {
                "name" => e => e.Name,
                "experiment_id" => e => long.Parse(e.ExperimentId, CultureInfo.InvariantCulture),
                "creation_time" => e => e.CreationTime,
                "last_update_time" => e => e.LastUpdateTime,
                _ => throw MlflowException.InvalidParameter(
                    $"Invalid order_by entity '{key}' in '{clause}'. Valid keys are 'name', 'experiment_id', 'creation_time', 'last_update_time'."),
            };
            ordered = ordered is null
                ? descending ? experiments.OrderByDescending(selector, KeyComparer.Instance) : experiments.OrderBy(selector, KeyComparer.Instance)
                : descending ? ordered.ThenByDescending(selector, KeyComparer.Instance) : ordered.ThenBy(selector, KeyComparer.Instance);
        }

        // MLflow's default: newest first, then by id.
        var sorted = (ordered is null
                ? experiments.OrderByDescending(e => e.CreationTime)
                : ordered.ThenByDescending(e => e.CreationTime))
            .ThenBy(e => long.Parse(e.ExperimentId, CultureInfo.InvariantCulture), Comparer<long>.Default)
            .ToList();
        var page = sorted.Skip(offset).Take(maxResults).ToList();
        var next = offset + page.Count < sorted.Count ? PageToken.Encode(offset + page.Count) : null;
        return new PagedList<Experiment>(page, next);
    }
}
