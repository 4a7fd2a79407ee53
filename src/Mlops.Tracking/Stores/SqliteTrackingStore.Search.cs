using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Mlops.Tracking.Search;

namespace Mlops.Tracking.Stores;

public partial class SqliteTrackingStore
{
    /// <inheritdoc/>
    public Task<PagedList<Run>> SearchRunsAsync(IReadOnlyList<string> experimentIds, string? filter = null, ViewType viewType = ViewType.ActiveOnly, int maxResults = TrackingLimits.DefaultSearchRunsResults, IReadOnlyList<string>? orderBy = null, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experimentIds);
        TrackingValidation.ValidateMaxResults(maxResults);
        var clauses = SearchFilterParser.Parse(filter);
        var keys = OrderByParser.Parse(orderBy);
        var offset = PageToken.Decode(pageToken);
        var ids = experimentIds.Select(ParseExperimentId).ToList();
        if (ids.Count == 0)
        {
            return Task.FromResult(new PagedList<Run>([], null));
        }

        var page = Read(() =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = SearchSql.Build(command, ids, clauses, keys, viewType, maxResults + 1, offset);
            var runIds = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    runIds.Add(reader.GetString(0));
                }
            }

            var hasMore = runIds.Count > maxResults;
            if (hasMore)
            {
                runIds.RemoveAt(runIds.Count - 1);
            }

            return new PagedList<Run>(LoadRuns(runIds), hasMore ? PageToken.Encode(offset + maxResults) : null);
        });
        return Task.FromResult(page);
    }

    /// <summary>Translates parsed clauses and order_by keys to one SQL query with bound parameters.</summary>
    private static class SearchSql
    {
        public static string Build(SqliteCommand command, List<long> experimentIds, IReadOnlyList<SearchClause> clauses, IReadOnlyList<OrderByKey> orderBy, ViewType viewType, int limit, int offset)
        {
            var parameterIndex = 0;
            string Bind(object value)
            {
                var name = "@p" + (parameterIndex++).ToString(CultureInfo.InvariantCulture);
                command.Parameters.AddWithValue(name, value);
                return name;
            }

            // Joins and ORDER BY terms of every key but a leading metric/param/tag key, which drives the query (below).
            var driven = orderBy.Count > 0 && orderBy[0].Identifier.Entity != SearchEntity.Attribute;
            var joins = new StringBuilder();
            var tail = new StringBuilder();
            for (var i = driven ? 1 : 0; i < orderBy.Count; i++)
            {
                var key = orderBy[i];
                var table = TableOf(key.Identifier.Entity);
                if (table is not null)
                {
                    joins.Append(CultureInfo.InvariantCulture, $" LEFT JOIN {table} o{i} ON o{i}.run_uuid = r.run_uuid AND o{i}.key = {Bind(key.Identifier.Key)}");
                }

                tail.Append(OrderTerms(key, i));
            }

            tail.Append("r.start_time DESC, r.run_uuid ASC");

            var where = new StringBuilder("r.experiment_id IN (").AppendJoin(", ", experimentIds.Select(id => Bind(id))).Append(')');
            where.Append(viewType switch
            {
                ViewType.ActiveOnly => " AND r.lifecycle_stage = 'active'",
                ViewType.DeletedOnly => " AND r.lifecycle_stage = 'deleted'",
                _ => "",
            });
            foreach (var clause in clauses)
            {
                where.Append(" AND ").Append(Condition(clause, Bind));
            }

            if (!driven)
            {
                return $"SELECT r.run_uuid FROM runs r{joins} WHERE {where} ORDER BY {tail} LIMIT {limit} OFFSET {offset}";
            }

            // A leading metric, param or tag key: the runs that have a value come first in the order of the key's
            // (key, value) index, then (metrics) those whose latest value is NaN, then those without the key. Each
            // segment is its own top-N query, and UNION ALL yields them in order, so SQLite walks the index and stops
            // once it has enough rows instead of sorting every run of the experiment.
            var first = orderBy[0];
            var firstTable = TableOf(first.Identifier.Entity)!;
            var firstKey = Bind(first.Identifier.Key);
            var direction = first.Ascending ? "ASC" : "DESC";
            var n = (limit + offset).ToString(CultureInfo.InvariantCulture);
            var present = first.Identifier.Entity == SearchEntity.Metric ? " AND o0.value IS NOT NULL" : "";
            var segments = new List<string>
            {
                $"SELECT run_uuid FROM (SELECT r.run_uuid AS run_uuid FROM {firstTable} o0 CROSS JOIN runs r{joins} WHERE o0.key = {firstKey}{present} AND r.run_uuid = o0.run_uuid AND {where} ORDER BY o0.value {direction}, {tail} LIMIT {n})",
            };
            if (first.Identifier.Entity == SearchEntity.Metric)
            {
                segments.Add($"SELECT run_uuid FROM (SELECT r.run_uuid AS run_uuid FROM {firstTable} o0 CROSS JOIN runs r{joins} WHERE o0.key = {firstKey} AND o0.value IS NULL AND r.run_uuid = o0.run_uuid AND {where} ORDER BY {tail} LIMIT {n})");
            }

            segments.Add($"SELECT run_uuid FROM (SELECT r.run_uuid AS run_uuid FROM runs r{joins} WHERE NOT EXISTS (SELECT 1 FROM {firstTable} x WHERE x.run_uuid = r.run_uuid AND x.key = {firstKey}) AND {where} ORDER BY {tail} LIMIT {n})");
            return $"SELECT run_uuid FROM ({string.Join(" UNION ALL ", segments)}) LIMIT {limit} OFFSET {offset}";
        }

        private static string? TableOf(SearchEntity entity) => entity switch
        {
            SearchEntity.Metric => "latest_metrics",
            SearchEntity.Param => "params",
            SearchEntity.Tag => "tags",
            _ => null,
        };

        private static string OrderTerms(OrderByKey key, int i)
        {
            var direction = key.Ascending ? "ASC" : "DESC";
            switch (key.Identifier.Entity)
            {
                case SearchEntity.Metric:
                    // Missing (2) and NaN (1) last whatever the direction.
                    return string.Create(CultureInfo.InvariantCulture, $"CASE WHEN o{i}.run_uuid IS NULL THEN 2 WHEN o{i}.is_nan = 1 THEN 1 ELSE 0 END, o{i}.value {direction}, ");
                case SearchEntity.Param or SearchEntity.Tag:
                    return string.Create(CultureInfo.InvariantCulture, $"o{i}.run_uuid IS NULL, o{i}.value {direction}, ");
                default:
                    // start_time is never null; leaving out the IS NULL term lets the (experiment_id, start_time) index order the rows.
                    var column = AttributeColumn(key.Identifier.Key);
                    return key.Identifier.Key == RunAttributes.StartTime ? $"{column} {direction}, " : $"{column} IS NULL, {column} {direction}, ";
            }
        }

        private static string Condition(SearchClause clause, Func<object, string> bind)
        {
            var identifier = clause.Identifier;
            switch (identifier.Entity)
            {
                case SearchEntity.Metric:
                    var key = bind(identifier.Key);
                    var compare = clause.Comparator == SearchComparator.NotEqual
                        ? $"(m.is_nan = 1 OR m.value != {bind(clause.Number)})"
                        : $"m.is_nan = 0 AND m.value {Operator(clause.Comparator)} {bind(clause.Number)}";
                    return $"EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = {key} AND {compare})";
                case SearchEntity.Param or SearchEntity.Tag:
                    var table = identifier.Entity == SearchEntity.Param ? "params" : "tags";
                    var keyName = bind(identifier.Key);
                    return clause.Comparator switch
                    {
                        SearchComparator.IsNull => $"NOT EXISTS (SELECT 1 FROM {table} k WHERE k.run_uuid = r.run_uuid AND k.key = {keyName})",
                        SearchComparator.IsNotNull => $"EXISTS (SELECT 1 FROM {table} k WHERE k.run_uuid = r.run_uuid AND k.key = {keyName})",
                        _ => $"EXISTS (SELECT 1 FROM {table} k WHERE k.run_uuid = r.run_uuid AND k.key = {keyName} AND {StringCondition("k.value", clause, bind)})",
                    };
            }

            var column = AttributeColumn(identifier.Key);
            if (identifier.IsNumericAttribute)
            {
                return $"{column} {Operator(clause.Comparator)} {bind(clause.Number)}";
            }

            return clause.Comparator switch
            {
                SearchComparator.In => $"{column} IN ({string.Join(", ", clause.Values!.Select(v => bind(v)))})",
                SearchComparator.NotIn => $"{column} NOT IN ({string.Join(", ", clause.Values!.Select(v => bind(v)))})",
                _ => StringCondition(column, clause, bind),
            };
        }

        private static string StringCondition(string column, SearchClause clause, Func<object, string> bind) => clause.Comparator switch
        {
            SearchComparator.Equal => $"{column} = {bind(clause.Text!)}",
            SearchComparator.NotEqual => $"{column} != {bind(clause.Text!)}",

            // SQLite's LIKE ignores ASCII case; GLOB is case-sensitive, so LIKE patterns are translated to GLOB.
            SearchComparator.Like => $"{column} GLOB {bind(LikeToGlob(clause.Text!))}",
            _ => $"lower({column}) LIKE lower({bind(clause.Text!)})",
        };

        private static string Operator(SearchComparator comparator) => comparator switch
        {
            SearchComparator.Equal => "=",
            SearchComparator.NotEqual => "!=",
            SearchComparator.Greater => ">",
            SearchComparator.GreaterOrEqual => ">=",
            SearchComparator.Less => "<",
            _ => "<=",
        };

        private static string AttributeColumn(string key) => key switch
        {
            RunAttributes.RunId => "r.run_uuid",
            RunAttributes.RunName => "r.name",
            RunAttributes.Status => "r.status",
            RunAttributes.ArtifactUri => "r.artifact_uri",
            RunAttributes.UserId => "r.user_id",
            RunAttributes.StartTime => "r.start_time",
            _ => "r.end_time",
        };

        internal static string LikeToGlob(string pattern)
        {
            var glob = new StringBuilder(pattern.Length + 8);
            foreach (var c in pattern)
            {
                glob.Append(c switch
                {
                    '%' => "*",
                    '_' => "?",
                    '*' => "[*]",
                    '?' => "[?]",
                    '[' => "[[]",
                    _ => c.ToString(),
                });
            }

            return glob.ToString();
        }
    }
}
