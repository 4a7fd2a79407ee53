using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Mlops.Serving.Tests.FrontEnds;

namespace Mlops.Serving.Tests.Rest;

public sealed partial class RestMetricsTests
{
    [Fact]
    public async Task Metrics_are_scraped_in_prometheus_text_with_model_labels()
    {
        await using var host = await ServingTestHost.StartAsync();
        var ok = await Wire.PostAsync(host.Http, "/v2/models/plus1/infer", """{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        // Meters are process-wide and other tests' hosts run in parallel: a model name of this test's own keeps its count exact.
        var probe = "probe-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await Wire.PostAsync(host.Http, $"/v2/models/{probe}/versions/1/infer", "{bad")).Status);
        }

        var response = await host.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var samples = Parse(text);
        Assert.True(samples.Exists(s => s.Name == "model_infer_request_success_total" && s.Labels["model"] == "plus1"), text);
        Assert.Contains(samples, s => s.Name == "model_infer_request_success_total" && s.Labels["model"] == "plus1" && s.Labels["version"] == "2" && s.Value >= 1);
        Assert.Contains(samples, s => s.Name == "model_infer_request_failure_total" && s.Labels["model"] == probe && s.Labels["version"] == "1" && s.Labels["reason"] == "invalid_request" && s.Value == 3);
        Assert.Contains("# TYPE model_infer_request_failure_total counter", text, StringComparison.Ordinal);
    }

    private static List<(string Name, Dictionary<string, string> Labels, double Value)> Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var line in text.Split('\n'))
        {
            var match = Sample().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
