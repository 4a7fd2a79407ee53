using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Tests.Support;

namespace Mlops.MLNet.Tests.Models;

public sealed class ModelFlavorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private sealed class Example
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class Prediction
    {
        public bool PredictedLabel { get; set; }

        public float Score { get; set; }
    }

    private static (MLContext Context, ITransformer Model, IDataView Data, float[][] Features) Train()
    {
        var random = new Random(7);
        var rows = Enumerable.Range(0, 400).Select(_ =>
        {
            var f = new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() };
            return new Example { Features = f, Label = f[0] + (0.5f * f[1]) > 0.75f };
        }).ToList();
        var context = new MLContext(seed: 1);
        var data = context.Data.LoadFromEnumerable(rows);
        var model = context.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: 50).Fit(data);
        return (context, model, data, rows.Take(20).Select(r => r.Features).ToArray());
    }

    [Fact]
    public void Logged_registered_mlnet_model_loads_by_alias_and_predicts_like_the_original()
    {
        var (context, model, data, features) = Train();
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db")) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) };
        LoggedModel logged;
        using (var run = tracking.StartRun("train"))
        {
            var signature = new ModelSignature([SignatureField.Tensor("Features", "float32", -1, 3)], [SignatureField.Column("Score", "float")]);
            logged = run.LogModel(new MLNetModel(model, data.Schema), "model", signature, inputExample: new { Features = features[0] }, registeredModelName: "recsys");
            Assert.Contains("\"mlnet\"", tracking.GetRun(run.RunId).Data.Tags[MlflowTags.LoggedModels], StringComparison.Ordinal);
        }

        Assert.Equal("1", logged.RegisteredVersion.Version);
        tracking.Registry.SetRegisteredModelAlias("recsys", "champion", "1");
        Assert.Contains(tracking.ListArtifacts(logged.Manifest.RunId!, "model"), a => a.Path == "model/MLmodel");

        using var loaded = tracking.LoadModel("models:/recsys@champion");
        Assert.Equal("mlnet", loaded.Flavor);
        Assert.Equal("float32", loaded.Manifest.Signature!.Inputs[0].DType);
        Assert.Equal([-1L, 3], loaded.Manifest.Signature.Inputs[0].Shape!);
        Assert.Equal("input_example.json", loaded.Manifest.InputExamplePath);

        var predictor = Assert.IsAssignableFrom<IColumnPredictor>(loaded);
        var output = predictor.Predict(new Dictionary<string, Array> { ["Features"] = features });
        var scores = Assert.IsType<float[]>(output["Score"]);
        var labels = Assert.IsType<bool[]>(output["PredictedLabel"]);
        Assert.False(output.ContainsKey("Features"));

        var engine = context.Model.CreatePredictionEngine<Example, Prediction>(model);
        for (var i = 0; i < features.Length; i++)
        {
            var expected = engine.Predict(new Example { Features = features[i] });
            Assert.Equal(expected.Score, scores[i], 5);
            Assert.Equal(expected.PredictedLabel, labels[i]);
        }

        using var byRun = tracking.LoadModel(logged.ModelUri);
        using var byVersion = tracking.LoadModel("models:/recsys/1");
        Assert.Equal(logged.Manifest.ModelUuid, byVersion.Manifest.ModelUuid);
    }

    [Fact]
    public void Predict_refuses_ragged_and_unsupported_columns()
    {
        var (_, model, data, features) = Train();
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db")) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) };
        using var run = tracking.StartRun();
        var logged = run.LogModel(new MLNetModel(model, data.Schema));
        using var loaded = tracking.LoadModel(logged.ModelUri);
        var predictor = (IColumnPredictor)loaded;
        Assert.Throws<MlflowException>(() => predictor.Predict(new Dictionary<string, Array> { ["Features"] = features, ["Other"] = new float[3] }));
        Assert.Throws<MlflowException>(() => predictor.Predict(new Dictionary<string, Array> { ["Features"] = new decimal[2] }));
    }

    [Fact]
    public void Unknown_models_and_missing_manifests_are_refused()
    {
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db")) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) };
        using var run = tracking.StartRun();
        Assert.Contains("System.String", Assert.Throws<MlflowException>(() => run.LogModel("not a model")).Message, StringComparison.Ordinal);
        Assert.Equal(404, Assert.Throws<MlflowException>(() => tracking.LoadModel($"runs:/{run.RunId}/nothing")).HttpStatusCode);
    }

    [Fact]
    public void AddMLNetFlavor_gives_the_containers_tracking_client_the_mlnet_flavor()
    {
        var (_, model, data, _) = Train();
        var services = new ServiceCollection();
        services.AddMlops().AddMLNetFlavor();
        services.AddMlops().AddTracking(o => o.TrackingUri = "sqlite:///" + _folder.Combine("di.db"));
        using var provider = services.BuildServiceProvider();
        var tracking = provider.GetRequiredService<TrackingClient>();
        Assert.Equal([MLNetFlavor.FlavorName], tracking.Flavors.All.Select(f => f.Name));
        using var run = tracking.StartRun();
        using var loaded = tracking.LoadModel(run.LogModel(new MLNetModel(model, data.Schema)).ModelUri);
        Assert.IsType<LoadedMLNetModel>(loaded);
    }
}
