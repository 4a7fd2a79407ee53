using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.MLNet;
using Mlops.Storage;
using Mlops.Storage.Azure;
using Mlops.Tests.Support;
using Mlops.Tracking.Models;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Tracking.Tests.Artifacts;

/// <summary>Run artifacts and models on Azure Blob Storage (a real Azurite) under a wasbs:// root, as MLflow writes them.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureArtifactTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly AzuriteFixture _azurite;
    private readonly StorageResolver _resolver;

    public AzureArtifactTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
        _resolver = new StorageResolver(providers:
        [
            new AzureBlobStoreProvider(new AzureBlobStorageOptions
            {
                Accounts = { [AzuriteFixture.AccountName] = new AzureBlobAccountOptions { ConnectionString = azurite.ConnectionString } },
            }),
        ]);
    }

    public void Dispose() => _folder.Dispose();

    private sealed class Example
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    [Fact]
    public void Artifacts_and_models_round_trip_through_wasbs_and_traversal_is_refused()
    {
        var container = _azurite.NewContainer();
        container.CreateIfNotExists();
        var root = $"wasbs://{container.Name}@{AzuriteFixture.AccountName}.blob.core.windows.net/mlruns";
        using var tracking = new TrackingClient(_folder.Combine("mlflow.db"), root, _resolver) { Flavors = ModelFlavorRegistry.Create(new MLNetFlavor()) };
        using var run = tracking.StartRun("azure");
        Assert.StartsWith(root + "/0/" + run.RunId + "/artifacts", run.Info.ArtifactUri, StringComparison.Ordinal);

        var notes = _folder.Combine("notes.txt");
        File.WriteAllText(notes, "on azure");
        var plots = Directory.CreateDirectory(_folder.Combine("plots", "deep")).Parent!.FullName;
        File.WriteAllText(Path.Combine(plots, "a.csv"), "1,2");
        File.WriteAllText(Path.Combine(plots, "deep", "b.csv"), "3,4,5");
        run.LogArtifact(notes);
        run.LogArtifacts(plots, "plots");
        Assert.Throws<MlflowException>(() => run.LogArtifact(notes, "../../escape"));
        Assert.Throws<MlflowException>(() => run.LogArtifact(notes, "/abs"));

        var blobs = container.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, default).Select(b => b.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            [$"mlruns/0/{run.RunId}/artifacts/notes.txt", $"mlruns/0/{run.RunId}/artifacts/plots/a.csv", $"mlruns/0/{run.RunId}/artifacts/plots/deep/b.csv"],
            blobs);
        Assert.Equal([("notes.txt", false, (long?)8), ("plots", true, null)], tracking.ListArtifacts(run.RunId).Select(a => (a.Path, a.IsDirectory, a.FileSize)));
        Assert.Equal(["plots/a.csv", "plots/deep"], tracking.ListArtifacts(run.RunId, "plots").Select(a => a.Path));
        var local = tracking.DownloadArtifacts(run.RunId, "plots", _folder.Combine("down"));
        Assert.Equal("3,4,5", File.ReadAllText(Path.Combine(local, "deep", "b.csv")));

        var random = new Random(5);
        var rows = Enumerable.Range(0, 200).Select(_ =>
        {
            var f = new[] { (float)random.NextDouble(), (float)random.NextDouble() };
            return new Example { Features = f, Label = f[0] > f[1] };
        }).ToList();
        var context = new MLContext(seed: 1);
        var data = context.Data.LoadFromEnumerable(rows);
        var model = context.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: 20).Fit(data);
        run.LogModel(new MLNetModel(model, data.Schema), "model", registeredModelName: "azure-model");
        tracking.Registry.SetRegisteredModelAlias("azure-model", "champion", "1");
        Assert.Contains(container.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"mlruns/0/{run.RunId}/artifacts/model/", default).Select(b => b.Name), n => n.EndsWith("/MLmodel", StringComparison.Ordinal));

        using var loaded = tracking.LoadModel("models:/azure-model@champion");
        var output = ((IColumnPredictor)loaded).Predict(new Dictionary<string, Array> { ["Features"] = new[] { new[] { 0.9f, 0.1f }, new[] { 0.1f, 0.9f } } });
        Assert.Equal([true, false], (bool[])output["PredictedLabel"]);
    }
}
