using Mlops.Tracking.Search;

namespace Mlops.Tracking.Tests.Search;

public class SearchFilterParserTests
{
    [Theory]
    [InlineData("metrics.acc > 0.8", SearchEntity.Metric, "acc", SearchComparator.Greater)]
    [InlineData("metric.acc >= 1e-3", SearchEntity.Metric, "acc", SearchComparator.GreaterOrEqual)]
    [InlineData("metrics.`my metric` < -2", SearchEntity.Metric, "my metric", SearchComparator.Less)]
    [InlineData("metrics.\"train/loss\" <= 3", SearchEntity.Metric, "train/loss", SearchComparator.LessOrEqual)]
    [InlineData("params.lr = '0.01'", SearchEntity.Param, "lr", SearchComparator.Equal)]
    [InlineData("param.lr != \"0.01\"", SearchEntity.Param, "lr", SearchComparator.NotEqual)]
    [InlineData("parameters.opt LIKE 'ad%'", SearchEntity.Param, "opt", SearchComparator.Like)]
    [InlineData("parameter.opt ILIKE 'AD%'", SearchEntity.Param, "opt", SearchComparator.ILike)]
    [InlineData("tags.mlflow.runName = 'x'", SearchEntity.Tag, "mlflow.runName", SearchComparator.Equal)]
    [InlineData("tag.team IS NULL", SearchEntity.Tag, "team", SearchComparator.IsNull)]
    [InlineData("params.team is not null", SearchEntity.Param, "team", SearchComparator.IsNotNull)]
    [InlineData("attributes.status = 'FINISHED'", SearchEntity.Attribute, "status", SearchComparator.Equal)]
    [InlineData("attr.run_name LIKE 'a%'", SearchEntity.Attribute, "run_name", SearchComparator.Like)]
    [InlineData("run.created > 5", SearchEntity.Attribute, "start_time", SearchComparator.Greater)]
    [InlineData("attribute.Created > 5", SearchEntity.Attribute, "start_time", SearchComparator.Greater)]
    [InlineData("attributes.end_time != 5", SearchEntity.Attribute, "end_time", SearchComparator.NotEqual)]
    [InlineData("attributes.run_id IN ('a', 'b')", SearchEntity.Attribute, "run_id", SearchComparator.In)]
    [InlineData("attributes.run_id NOT IN ('a')", SearchEntity.Attribute, "run_id", SearchComparator.NotIn)]
    public void Parses_each_entity_alias_and_comparator(string filter, SearchEntity entity, string key, SearchComparator comparator)
    {
        var clause = Assert.Single(SearchFilterParser.Parse(filter));
        Assert.Equal(entity, clause.Identifier.Entity);
        Assert.Equal(key, clause.Identifier.Key);
        Assert.Equal(comparator, clause.Comparator);
    }

    [Fact]
    public void Parses_values_and_and_chains()
    {
        var clauses = SearchFilterParser.Parse("metrics.acc > 0.85 and params.lr = 'it''s' AND attributes.run_id IN ('r1','r2')");
        Assert.Equal(3, clauses.Count);
        Assert.Equal(0.85, clauses[0].Number);
        Assert.Equal("it's", clauses[1].Text);
        Assert.Equal(["r1", "r2"], clauses[2].Values!);
        Assert.Empty(SearchFilterParser.Parse("   "));
        Assert.Empty(SearchFilterParser.Parse(null));
    }

    [Theory]
    [InlineData("metrics.a > 1 OR metrics.b > 1", "OR")]
    [InlineData("metricz.a > 1", "metricz")]
    [InlineData("attributes.colour = 'x'", "colour")]
    [InlineData("acc > 1", "acc")]
    [InlineData("metrics.a LIKE '1'", "LIKE")]
    [InlineData("params.a > '1'", ">")]
    [InlineData("tags.a >= 'x'", ">=")]
    [InlineData("attributes.status > 'x'", ">")]
    [InlineData("attributes.start_time LIKE 'x'", "LIKE")]
    [InlineData("metrics.a = 'x'", "'x'")]
    [InlineData("params.a = 1", "1")]
    [InlineData("params.a = x", "x")]
    [InlineData("attributes.start_time = 'x'", "'x'")]
    [InlineData("params.a IN ('x')", "run_id")]
    [InlineData("metrics.a IS NULL", "IS NULL")]
    [InlineData("params.a = 'open", "never closed")]
    [InlineData("metrics.a", "comparator is missing")]
    [InlineData("metrics.a > 1 metrics.b > 2", "metrics")]
    [InlineData("attributes.run_id IN ('a', 1)", "1")]
    [InlineData("metrics.a ~ 1", "~")]
    public void Malformed_filters_get_invalid_parameter_errors_naming_the_bad_part(string filter, string named)
    {
        var error = Assert.Throws<MlflowException>(() => SearchFilterParser.Parse(filter));
        Assert.Equal(MlflowErrorCodes.InvalidParameterValue, error.ErrorCode);
        Assert.Equal(400, error.HttpStatusCode);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Order_by_parses_keys_directions_and_rejects_junk()
    {
        var keys = OrderByParser.Parse(["metrics.acc DESC", "params.lr", "attributes.start_time asc", "run_name DESC", "metrics.`a b` ASC"]);
        Assert.Equal(new OrderByKey(new SearchIdentifier(SearchEntity.Metric, "acc"), false), keys[0]);
        Assert.Equal(new OrderByKey(new SearchIdentifier(SearchEntity.Param, "lr"), true), keys[1]);
        Assert.Equal(new OrderByKey(new SearchIdentifier(SearchEntity.Attribute, "start_time"), true), keys[2]);
        Assert.Equal(new OrderByKey(new SearchIdentifier(SearchEntity.Attribute, "run_name"), false), keys[3]);
        Assert.Equal("a b", keys[4].Identifier.Key);

        Assert.Contains("SIDEWAYS", Assert.Throws<MlflowException>(() => OrderByParser.ParseOne("metrics.acc SIDEWAYS")).Message, StringComparison.Ordinal);
        Assert.Contains("bogus", Assert.Throws<MlflowException>(() => OrderByParser.ParseOne("bogus.acc")).Message, StringComparison.Ordinal);
        Assert.Throws<MlflowException>(() => OrderByParser.ParseOne(""));
    }

    [Fact]
    public void Page_tokens_round_trip_and_bad_ones_are_refused()
    {
        Assert.Equal(0, PageToken.Decode(null));
        Assert.Equal(1234, PageToken.Decode(PageToken.Encode(1234)));
        Assert.Equal("eyJvZmZzZXQiOiAxMH0=", PageToken.Encode(10));
        Assert.Contains("base64", Assert.Throws<MlflowException>(() => PageToken.Decode("not base64!")).Message, StringComparison.Ordinal);
        Assert.Throws<MlflowException>(() => PageToken.Decode(Convert.ToBase64String("{\"x\":1}"u8.ToArray())));
    }

    [Theory]
    [InlineData("abc", "a%", false, true)]
    [InlineData("abc", "A%", false, false)]
    [InlineData("abc", "A%", true, true)]
    [InlineData("abc", "a_c", false, true)]
    [InlineData("abc", "a_", false, false)]
    [InlineData("a.c", "a.c", false, true)]
    [InlineData("abc", "a.c", false, false)]
    [InlineData("x*y", "x*y", false, true)]
    public void Like_matches_percent_and_underscore_only(string value, string pattern, bool ignoreCase, bool expected) =>
        Assert.Equal(expected, RunFilterEvaluator.Like(value, pattern, ignoreCase));
}
