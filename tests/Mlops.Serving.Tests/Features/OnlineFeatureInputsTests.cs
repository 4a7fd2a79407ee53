using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Features;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;
using Mlops.Tracking.Models;
using Mlops.Training;

namespace Mlops.Serving.Tests.Features;

/// <summary>
/// Online features at request time: a request carries entity ids only, the feature store's online values complete it
/// (assembled into the model's vector input), and the model answers as if it had been sent the features themselves.
/// </summary>
public sealed class OnlineFeatureInputsTests : IAsyncLifetime
{
    private static readonly Schema Source = new(
        [
            new Field("user_id", Int64Type.Default, true),
            new Field("event_timestamp", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("age", DoubleType.Default, true),
            new Field("visits", Int64Type.Default, true),
            new Field("score", DoubleType.Default, true),
            new Field("spend", DoubleType.Default, true),
        ],
        null);

    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Entity_ids_are_completed_with_online_features_before_the_model_runs()
    {
        using var model = Sequential.Input(ServingTestBed.Width).Dense(1, Activation.Sigmoid).Build(seed: 3).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        string uri;
        using (var run = _bed.Tracking.StartRun("features"))
        {
            uri = run.LogModel(model, "model", new ModelSignature([SignatureField.Tensor("features", "float32", -1, ServingTestBed.Width)], [SignatureField.Tensor("prediction", "float32", -1, 1)])).ModelUri;
        }

        var features = new List<string> { "user_stats:age", "user_stats:visits", "user_stats:score", "user_stats:spend" };
        var host = await _bed.StartAsync(
            o =>
            {
                o.AddModel("strict", uri).WithOnlineFeatures(f => { f.EntityInputs.Add("user_id"); f.Features.AddRange(features); f.VectorInput = "features"; });
                o.AddModel("lenient", uri).WithOnlineFeatures(f => { f.EntityInputs.Add("user_id"); f.Features.AddRange(features); f.VectorInput = "features"; f.MissingValue = 0; });
            },
            services => services.AddMlops().AddFeatureStore(o =>
            {
                o.Project = "shop";
                o.Registry = _bed.Folder.Combine("feature-registry.db");
            }).AddSqliteOnlineStore(o => o.Path = _bed.Folder.Combine("online.db")));
        var store = host.Services.GetRequiredService<FeatureStoreClient>();
        var path = _bed.Folder.Combine("user_stats");
        Frame.FromRows(Source, [[1L, DateTime.UnixEpoch, 30.0, 4L, 0.5, 12.5]]).WriteParquet(path);
        var view = new FeatureView(
            "user_stats",
            new FileSource("user_stats_source", path),
            ["user"],
            [new FeatureField("age", FeatureValueType.Float64), new FeatureField("visits", FeatureValueType.Int64), new FeatureField("score", FeatureValueType.Float64), new FeatureField("spend", FeatureValueType.Float64)]);
        await store.ApplyAsync([new Entity("user", ["user_id"], FeatureValueType.Int64), view]);
        var now = DateTime.UtcNow;
        await store.WriteToOnlineStoreAsync("user_stats", Frame.FromRows(Source, [[7L, now, 41.0, 3L, 0.25, 99.0], [8L, now, 19.0, 11L, 0.75, 5.0]]));
        var service = host.Inference();

        var response = await service.InferAsync("strict", null, new InferenceRequest([InferenceTensor.Create("user_id", [2], new[] { 8L, 7L })], id: "by-id"));
        Assert.Equal("by-id", response.Id);
        var prediction = Assert.Single(response.Outputs);
        Assert.Equal(new[] { 2L, 1 }, prediction.Shape);
        var expected = model.Predict([[19f, 11f, 0.75f, 5f], [41f, 3f, 0.25f, 99f]]);
        Assert.Equal(expected[0][0], prediction.GetData<float>()[0], 1e-5f);
        Assert.Equal(expected[1][0], prediction.GetData<float>()[1], 1e-5f);

        // An entity the store does not know is a client error naming it, unless the model takes a default.
        var unknown = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("strict", null, new InferenceRequest([InferenceTensor.Create("user_id", [1], new[] { 404L })])));
        Assert.Equal(InferenceErrorKind.InvalidRequest, unknown.Kind);
        Assert.Contains("user_id=404", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("NOT_FOUND", unknown.Message, StringComparison.Ordinal);
        var lenient = await service.InferAsync("lenient", null, new InferenceRequest([InferenceTensor.Create("user_id", [1], new[] { 404L })]));
        Assert.Equal(model.Predict([[0f, 0f, 0f, 0f]])[0][0], Assert.Single(lenient.Outputs).GetData<float>()[0], 1e-5f);

        var missing = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("strict", null, new InferenceRequest([InferenceTensor.Create("uid", [1], new[] { 7L })])));
        Assert.Contains("no input 'user_id'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Online_feature_options_are_checked_naming_the_option()
    {
        var options = new ServingOptions();
        options.AddModel("m", "models:/m/1").WithOnlineFeatures(f => f.Features.Add("no_view"));
        var result = new ServingOptionsValidator().Validate(null, options);
        Assert.Contains("Mlops:Serving:Models:m:OnlineFeatures:EntityInputs", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Mlops:Serving:Models:m:OnlineFeatures:Features", result.FailureMessage, StringComparison.Ordinal);
    }
}
