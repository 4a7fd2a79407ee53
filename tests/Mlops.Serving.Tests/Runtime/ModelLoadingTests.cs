using Microsoft.ML;
using Microsoft.ML.Data;
using Mlops.MLNet;
using Mlops.Serving.Inference;
using Mlops.Serving.Tests.Runtime.Support;
using Mlops.Tracking.Models;
using Mlops.Training;

namespace Mlops.Serving.Tests.Runtime;

public sealed class ModelLoadingTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_torchsharp_model_by_alias_reports_its_signature_and_predicts_like_the_registry_copy()
    {
        var version = _bed.LogTorch(seed: 1);
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", version);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", "models:/recsys@champion"));
        var service = host.Inference();

        Assert.True(service.IsLive);
        Assert.True(service.IsReady);
        Assert.Equal(new[] { "binary_tensor_data", "model_repository" }, service.Metadata.Extensions);
        var metadata = await service.GetModelMetadataAsync("recsys", null);
        Assert.Equal("torchsharp", metadata.Platform);
        Assert.Equal(new[] { version }, metadata.Versions);
        var input = Assert.Single(metadata.Inputs);
        Assert.Equal(("features", TensorDataType.Fp32), (input.Name, input.Datatype));
        Assert.Equal(new[] { -1L, ServingTestBed.Width }, input.Shape);
        Assert.Equal(new[] { -1L, 2 }, Assert.Single(metadata.Outputs).Shape);
        Assert.True(await service.IsModelReadyAsync("recsys", version));
        Assert.Equal(InferenceErrorKind.ModelNotFound, (await Assert.ThrowsAsync<InferenceException>(async () => await service.IsModelReadyAsync("recsys", "99"))).Kind);
        await Assert.ThrowsAsync<InferenceException>(async () => await service.GetModelMetadataAsync("recsys", "99"));

        var rows = ServingTestBed.Rows(5, seed: 3);
        var response = await service.InferAsync("recsys", null, ServingTestBed.Request(rows, id: "r-1"));
        Assert.Equal(("recsys", version, "r-1"), (response.ModelName, response.ModelVersion, response.Id));
        ServingTestBed.AssertRows(_bed.Expected("recsys", version, rows), ServingTestBed.Rows(response));
        var index = Assert.Single(await service.GetRepositoryIndexAsync());
        Assert.Equal(new RepositoryModel("recsys", version, ModelState.Ready, null), index);
    }

    [Fact]
    public async Task A_one_value_per_row_output_answers_in_the_shape_its_signature_declares()
    {
        using var model = Sequential.Input(ServingTestBed.Width).Dense(1, Activation.Sigmoid).Build(seed: 9).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        string runUri;
        using (var run = _bed.Tracking.StartRun("signed"))
        {
            runUri = run.LogModel(model, "model", new ModelSignature([SignatureField.Tensor("features", "float32", -1, ServingTestBed.Width)], [SignatureField.Tensor("prediction", "float32", -1, 1)])).ModelUri;
        }

        var host = await _bed.StartAsync(o => o.AddModel("signed", runUri));
        var service = host.Inference();
        Assert.Equal(new[] { -1L, 1 }, Assert.Single((await service.GetModelMetadataAsync("signed", null)).Outputs).Shape);
        var rows = ServingTestBed.Rows(3, seed: 6);
        var prediction = Assert.Single((await service.InferAsync("signed", null, ServingTestBed.Request(rows))).Outputs);
        Assert.Equal(new[] { 3L, 1 }, prediction.Shape);
        var expected = model.Predict(rows);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(expected[i][0], prediction.GetData<float>()[i], 1e-5f);
        }
    }

    [Fact]
    public async Task Runs_uris_and_local_folders_load_and_a_model_without_a_signature_takes_its_widths_from_the_flavor()
    {
        using var model = Sequential.Input(ServingTestBed.Width).Dense(1, Activation.Sigmoid).Build(seed: 4).Compile(Optimizer.Sgd(), Loss.BinaryCrossEntropy);
        string runUri;
        using (var run = _bed.Tracking.StartRun("unsigned"))
        {
            runUri = run.LogModel(model).ModelUri;
        }

        var folder = GatedFlavor.WriteModel(_bed.Folder.Combine("gated-model"));
        var host = await _bed.StartAsync(o =>
        {
            o.AddModel("unsigned", runUri);
            o.AddModel("local", folder);
        });
        var service = host.Inference();

        var unsigned = await service.GetModelMetadataAsync("unsigned", null);
        Assert.Empty(unsigned.Versions);
        Assert.Equal(new[] { -1L, ServingTestBed.Width }, Assert.Single(unsigned.Inputs).Shape);
        Assert.Equal("prediction", unsigned.Outputs[0].Name);
        Assert.Equal(new[] { -1L }, unsigned.Outputs[0].Shape);
        var rows = ServingTestBed.Rows(3, seed: 5);
        var response = await service.InferAsync("unsigned", null, ServingTestBed.Request(rows, input: "input"));
        var prediction = Assert.Single(response.Outputs);
        Assert.Equal(new[] { 3L }, prediction.Shape);
        var expected = model.Predict(rows);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(expected[i][0], prediction.GetData<float>()[i], 1e-5f);
        }

        var local = await service.InferAsync("local", null, new InferenceRequest([InferenceTensor.Create("x", [3], new[] { 1f, 2f, 3f })]));
        Assert.Equal(new[] { 2f, 4f, 6f }, local.Outputs[0].GetData<float>());
        Assert.Equal("gated", (await service.GetModelMetadataAsync("local", null)).Platform);
    }

    private sealed class Example
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }

        public string Segment { get; set; } = "";
    }

    [Fact]
    public async Task An_mlnet_model_maps_column_specs_and_vector_tensors_and_answers_per_column()
    {
        var random = new Random(7);
        var rows = Enumerable.Range(0, 200).Select(_ =>
        {
            var f = new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() };
            return new Example { Features = f, Label = f[0] + f[1] > 1, Segment = f[2] > 0.5 ? "a" : "b" };
        }).ToList();
        var context = new MLContext(seed: 1);
        var data = context.Data.LoadFromEnumerable(rows);
        var pipeline = context.Transforms.Categorical.OneHotEncoding("SegmentKey", "Segment")
            .Append(context.Transforms.Concatenate("All", "Features", "SegmentKey"))
            .Append(context.BinaryClassification.Trainers.SdcaLogisticRegression(featureColumnName: "All", maximumNumberOfIterations: 20));
        var trained = pipeline.Fit(data);
        var signature = new ModelSignature(
            [SignatureField.Tensor("Features", "float32", -1, 3), SignatureField.Column("Segment", "string")],
            [SignatureField.Column("Score", "float"), SignatureField.Column("PredictedLabel", "boolean")]);
        using (var run = _bed.Tracking.StartRun("mlnet"))
        {
            run.LogModel(new MLNetModel(trained, data.Schema), "model", signature, registeredModelName: "churn");
        }

        var host = await _bed.StartAsync(o => o.AddModel("churn", "models:/churn/latest"));
        var service = host.Inference();
        var metadata = await service.GetModelMetadataAsync("churn", null);
        Assert.Equal("mlnet", metadata.Platform);
        Assert.Equal(new[] { "1" }, metadata.Versions);
        Assert.Equal(new[] { (TensorDataType.Fp32, 2), (TensorDataType.Bytes, 1) }, metadata.Inputs.Select(i => (i.Datatype, i.Shape.Count)));
        Assert.Equal(new[] { TensorDataType.Fp32, TensorDataType.Bool }, metadata.Outputs.Select(o => o.Datatype));

        var request = new InferenceRequest(
            [
                InferenceTensor.Create("Features", [2, 3], new[] { 0.9f, 0.9f, 0.1f, 0.1f, 0.1f, 0.9f }),
                InferenceTensor.Create("Segment", [2], new[] { "b"u8.ToArray(), "a"u8.ToArray() }),
            ],
            outputs: [new RequestedOutput("PredictedLabel")]);
        var missing = await Assert.ThrowsAsync<InferenceException>(async () => await service.InferAsync("churn", null, new InferenceRequest([request.Inputs[0]])));
        Assert.Contains("input 'Segment' (BYTES [-1]) is missing", missing.Message, StringComparison.Ordinal);
        var response = await service.InferAsync("churn", null, request);
        var label = Assert.Single(response.Outputs);
        Assert.Equal(("PredictedLabel", TensorDataType.Bool), (label.Name, label.Datatype));
        var engine = context.Model.CreatePredictionEngine<Example, Prediction>(trained);
        Assert.Equal(
            new[] { engine.Predict(new Example { Features = [0.9f, 0.9f, 0.1f], Segment = "b" }).PredictedLabel, engine.Predict(new Example { Features = [0.1f, 0.1f, 0.9f], Segment = "a" }).PredictedLabel },
            label.GetData<bool>());
    }

    private sealed class Prediction
    {
        public bool PredictedLabel { get; set; }
    }

    [Fact]
    public async Task The_model_memory_gauge_reports_each_loaded_version()
    {
        var version = _bed.LogTorch(seed: 1);
        var host = await _bed.StartAsync(o => o.AddModel("recsys", $"models:/recsys/{version}"));
        using var memory = new MeasurementLog(host, "model_memory_bytes");
        memory.Observe();
        var (bytes, tags) = Assert.Single(memory.Values);
        Assert.True(bytes >= 0);
        Assert.Equal(("recsys", version), ((string?)tags["model"], (string?)tags["version"]));
    }
}
