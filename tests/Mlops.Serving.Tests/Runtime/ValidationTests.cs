using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;

namespace Mlops.Serving.Tests.Runtime;

public sealed class ValidationTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();
    private InferenceService _service = null!;

    public async Task InitializeAsync()
    {
        var version = _bed.LogTorch(seed: 1);
        var host = await _bed.StartAsync(o =>
        {
            o.MaxRowsPerRequest = 8;
            o.AddModel("recsys", $"models:/recsys/{version}");
        });
        _service = host.Inference();
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    public static TheoryData<string, string[]> BadRequests => new()
    {
        { "unknown", ["no input 'other'", "'features' (FP32 [-1,4])"] },
        { "none", ["has no inputs", "'features' (FP32 [-1,4])"] },
        { "datatype", ["input 'features'", "expected datatype FP32, got FP64"] },
        { "shape", ["input 'features'", "expected shape [-1,4], got [2,3]"] },
        { "rank", ["input 'features'", "expected shape [-1,4], got [8]"] },
        { "rows", ["input 'features'", "9 rows", "at most 8"] },
        { "zero-rows", ["input 'features'", "0 rows"] },
        { "output", ["no output 'score'", "'prediction'"] },
        { "duplicate", ["input 'features' appears twice"] },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_refused_before_it_runs_naming_the_input_and_expected_versus_got(string problem, string[] fragments)
    {
        var features = ServingTestBed.Request(ServingTestBed.Rows(2, seed: 1)).Inputs[0];
        InferenceRequest request = problem switch
        {
            "unknown" => new([features, InferenceTensor.Create("other", [2], new[] { 1f, 2f })]),
            "none" => new([]),
            "datatype" => new([InferenceTensor.Create("features", [2, 4], new double[8])]),
            "shape" => new([InferenceTensor.Create("features", [2, 3], new float[6])]),
            "rank" => new([InferenceTensor.Create("features", [8], new float[8])]),
            "rows" => new([InferenceTensor.Create("features", [9, 4], new float[36])]),
            "zero-rows" => new([InferenceTensor.Create("features", [0, 4], Array.Empty<float>())]),
            "output" => new([features], outputs: [new RequestedOutput("score")]),
            _ => new([features, features]),
        };
        var error = await Assert.ThrowsAsync<InferenceException>(async () => await _service.InferAsync("recsys", null, request));
        Assert.Equal(InferenceErrorKind.InvalidRequest, error.Kind);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unknown_models_and_versions_are_not_found()
    {
        var request = ServingTestBed.Request(ServingTestBed.Rows(1, seed: 1));
        Assert.Equal(InferenceErrorKind.ModelNotFound, (await Assert.ThrowsAsync<InferenceException>(async () => await _service.InferAsync("nope", null, request))).Kind);
        Assert.Equal(InferenceErrorKind.ModelNotFound, (await Assert.ThrowsAsync<InferenceException>(async () => await _service.InferAsync("recsys", "7", request))).Kind);
        Assert.Equal(InferenceErrorKind.ModelNotFound, (await Assert.ThrowsAsync<InferenceException>(async () => await _service.LoadModelAsync("nope"))).Kind);
    }
}
