using Mlops.Features.FeatureStore.Online;

namespace Mlops.Features.Tests.FeatureStore.Online;

/// <summary>The online value encoding both stores share: exact types, selective decoding, corrupt input detected.</summary>
public sealed class OnlineValueCodecTests
{
    public static TheoryData<object?> Values() => new()
    {
        null, 0L, -1L, long.MaxValue, 0, int.MinValue, 1.0 / 3, double.NegativeInfinity, 0.1f, true, false,
        "", "ascii", "ünïcödé 🙂", Array.Empty<byte>(), new byte[300], new[] { 1f, -2f }, new[] { 1e300, -0.0 }, new[] { long.MinValue },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_round_trips_with_its_type(object? value)
    {
        var decoded = OnlineValueCodec.DecodeValue(OnlineValueCodec.EncodeValue(value, "f"));

        Assert.Equal(value?.GetType(), decoded?.GetType());
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void A_row_decodes_only_the_selected_features_through_both_name_lookups()
    {
        var values = Enumerable.Range(0, 40).ToDictionary(i => $"f{i}", i => (object?)(i % 2 == 0 ? i : $"s{i}"));
        var payload = OnlineValueCodec.EncodeRow(values);

        foreach (var wanted in new[] { new[] { "f3", "f0", "nope" }, [.. Enumerable.Range(0, 40).Where(i => i % 3 == 0).Select(i => $"f{i}"), "nope"] })
        {
            var decoded = new Dictionary<string, object?>();
            OnlineValueCodec.DecodeRow(payload, new FeatureSelection(wanted), decoded);

            Assert.Equal(wanted.Where(values.ContainsKey).Order(StringComparer.Ordinal), decoded.Keys.Order(StringComparer.Ordinal));
            Assert.All(decoded, pair => Assert.Equal(values[pair.Key], pair.Value));
        }
    }

    [Fact]
    public void Every_truncation_of_a_row_is_a_format_error_never_an_out_of_range_read()
    {
        var payload = OnlineValueCodec.EncodeRow(new Dictionary<string, object?>
        {
            ["a"] = 1L, ["b"] = "text", ["c"] = new[] { 1.0, 2.0 }, ["d"] = new byte[] { 1, 2 }, ["e"] = new[] { 1f }, ["z"] = 2,
        });
        var all = new FeatureSelection(["z", "a", "b", "c", "d", "e"]);
        var last = new FeatureSelection(["z"]);

        for (var length = 0; length < payload.Length; length++)
        {
            var prefix = payload.AsSpan(0, length).ToArray();
            Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeRow(prefix, all, []));
            Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeRow(prefix, last, []));
        }
    }

    [Fact]
    public void An_unknown_tag_or_version_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeValue([99]));
        Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeValue([1, 0, 0, 0, 0, 0, 0, 0, 0, 7]));
        Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeRow([9, 0], new FeatureSelection(["a"]), []));
        Assert.Throws<FormatException>(() => OnlineValueCodec.DecodeValue([9, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));
    }

    [Fact]
    public void A_string_that_cannot_round_trip_is_refused_naming_the_feature()
    {
        var error = Assert.Throws<ArgumentException>(() => OnlineValueCodec.EncodeRow(new Dictionary<string, object?> { ["name"] = "bad \ud800 surrogate" }));

        Assert.Contains("'name'", error.Message, StringComparison.Ordinal);
    }
}
