using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Mlops.Training;
using Mlops.Training.Onnx;
using Mlops.Tracking;
using Mlops.Tracking.Models;
using Mlops.Tracking.Tests.Support;

namespace Mlops.Onnx.Tests.Flavor;

public sealed class OnnxModelFlavorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private TrackingClient Client() => new("sqlite:///" + _folder.Combine("mlflow.db")) { Flavors = ModelFlavorRegistry.Create(new OnnxModelFlavor()) };

    [Fact]
    public void Onnx_runtime_native_library_loads_with_the_cpu_provider() =>
        Assert.Contains("CPUExecutionProvider", OrtEnv.Instance().GetAvailableProviders());

    [Fact]
    public void An_exported_sequential_logged_to_sqlite_loads_by_run_uri_and_predicts_like_torchsharp()
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        using var tracking = Client();
        LoggedModel logged;
        using (var run = tracking.StartRun("export"))
        {
            logged = run.LogModel(OnnxModel.FromBytes(OnnxExporter.ToBytes(model)), "model", registeredModelName: "recsys");
        }

        var onnx = logged.Manifest.Flavors["onnx"];
        Assert.Equal(["onnx_version", "data", "providers", "onnx_session_options", "code"], onnx.Select(p => p.Key));
        Assert.Equal("model.onnx", onnx["data"]!.GetValue<string>());
        Assert.Equal("mlflow.onnx", logged.Manifest.Flavors["python_function"]["loader_module"]!.GetValue<string>());
        Assert.Equal("model.onnx", logged.Manifest.Flavors["python_function"]["data"]!.GetValue<string>());
        var signature = logged.Manifest.Signature!;
        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("input", "tensor", "float32"), (input.Name, input.Type, input.DType));
        Assert.Equal([-1L, 42], input.Shape!);
        Assert.Equal([-1L, 1], signature.Outputs!.Single().Shape!);
        Assert.Contains(tracking.ListArtifacts(logged.Manifest.RunId!, "model"), a => a.Path == "model/model.onnx");

        foreach (var uri in new[] { logged.ModelUri, "models:/recsys/1" })
        {
            using var loaded = Assert.IsType<LoadedOnnxModel>(tracking.LoadModel(uri));
            Assert.Equal("onnx", loaded.Flavor);
            Assert.True(loaded.IsThreadSafe);
            Assert.Equal(["CPUExecutionProvider"], loaded.Providers);
            Assert.Equal("input", Assert.Single(loaded.Inputs).Name);
            Assert.Equal([-1L, 42], loaded.Inputs[0].Shape);
            foreach (var rows in new[] { 1, 37 })
            {
                var inputs = OnnxTestModels.Inputs(rows, 42, seed: rows);
                var output = loaded.Predict(new Dictionary<string, Array> { ["input"] = inputs });
                OnnxTestModels.AssertClose(model.Predict(inputs), Assert.IsType<float[][]>(Assert.Single(output).Value));
            }
        }
    }

    [Fact]
    public void Predict_from_many_threads_gives_each_caller_its_own_rows()
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        using var tracking = Client();
        using var run = tracking.StartRun();
        using var loaded = (LoadedOnnxModel)tracking.LoadModel(run.LogModel(OnnxModel.FromBytes(OnnxExporter.ToBytes(model))).ModelUri);
        var batches = Enumerable.Range(0, 16).Select(i => OnnxTestModels.Inputs(5 + i, 42, seed: 100 + i)).ToArray();
        var expected = batches.Select(model.Predict).ToArray();
        var actual = new float[batches.Length][][];
        Parallel.For(0, batches.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            actual[i] = (float[][])loaded.Predict(new Dictionary<string, Array> { ["input"] = batches[i] })["output"]);
        for (var i = 0; i < batches.Length; i++)
        {
            OnnxTestModels.AssertClose(expected[i], actual[i]);
        }
    }

    [Fact]
    public void A_model_folder_in_python_mlflows_layout_loads_with_its_providers_and_session_options()
    {
        using var model = OnnxTestModels.Build(Sequential.Input(3).Dense(2, Activation.Softmax));
        var folder = _folder.Combine("python-model");
        Directory.CreateDirectory(folder);
        model.ExportOnnx(Path.Combine(folder, "model.onnx"), new OnnxExportOptions { InputName = "float_input", OutputName = "probabilities" });
        // The MLmodel file mlflow.onnx.save_model writes (MLflow 2.x/3.x): block YAML, keys sorted, the signature's
        // sides as quoted JSON strings, versions as plain scalars that must stay text.
        File.WriteAllText(Path.Combine(folder, "MLmodel"), """
            artifact_path: model
            flavors:
              onnx:
                code: null
                data: model.onnx
                onnx_session_options:
                  execution_mode: sequential
                  graph_optimization_level: 99
                  intra_op_num_threads: 1
                onnx_version: 1.16.1
                providers:
                - CUDAExecutionProvider
                - CPUExecutionProvider
              python_function:
                code: null
                data: model.onnx
                env:
                  conda: conda.yaml
                  virtualenv: python_env.yaml
                loader_module: mlflow.onnx
                python_version: 3.11.9
            mlflow_version: 2.16.2
            model_size_bytes: 2048
            model_uuid: 4f1d2c3b5a6e47f8a9b0c1d2e3f4a5b6
            run_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
            signature:
              inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
              outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]'
              params: null
            utc_time_created: '2024-09-18 10:21:42.123456'
            """);
        using var tracking = Client();
        using var loaded = Assert.IsType<LoadedOnnxModel>(tracking.LoadModel(folder));
        // This ONNX Runtime build has no CUDA, so the session runs on the CPU, as Python's onnxruntime falls back.
        Assert.Equal("CPUExecutionProvider", loaded.Providers[^1]);
        Assert.Equal("0a1b2c3d4e5f60718293a4b5c6d7e8f9", loaded.Manifest.RunId);
        Assert.Equal("1.16.1", loaded.Manifest.Flavors["onnx"]["onnx_version"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2024, 9, 18, 10, 21, 42, 123, 456, TimeSpan.Zero), loaded.Manifest.UtcTimeCreated);
        Assert.Equal([-1L, 3], Assert.Single(loaded.Manifest.Signature!.Inputs).Shape!);
        var rows = OnnxTestModels.Inputs(4, 3);
        var output = (float[][])loaded.Predict(new Dictionary<string, Array> { ["float_input"] = rows })["probabilities"];
        OnnxTestModels.AssertClose(model.Predict(rows), output);
        Assert.All(output, row => Assert.Equal(1f, row.Sum(), 5));
    }

    [Fact]
    public void Bad_inputs_are_refused_naming_the_input()
    {
        using var model = OnnxTestModels.Build(OnnxTestModels.SeedLike);
        using var tracking = Client();
        using var run = tracking.StartRun();
        using var loaded = (LoadedOnnxModel)tracking.LoadModel(run.LogModel(OnnxModel.FromBytes(OnnxExporter.ToBytes(model))).ModelUri);
        var good = OnnxTestModels.Inputs(4, 42);

        var unknown = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["features"] = good }));
        Assert.Contains("'features'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("'input' float32 [-1, 42]", unknown.Message, StringComparison.Ordinal);

        Assert.Contains("'input'", Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array>())).Message, StringComparison.Ordinal);

        var type = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["input"] = new long[4][] }));
        Assert.Contains("Input 'input' is a float32 tensor", type.Message, StringComparison.Ordinal);

        var ragged = good.Select((row, i) => i == 2 ? row[..41] : row).ToArray();
        var width = Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["input"] = ragged }));
        Assert.Contains("Input 'input', row 2", width.Message, StringComparison.Ordinal);
        Assert.Contains("got 41", width.Message, StringComparison.Ordinal);

        Assert.Contains("'input'", Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["input"] = new float[4] })).Message, StringComparison.Ordinal);
        Assert.Contains("no rows", Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["input"] = Array.Empty<float[]>() })).Message, StringComparison.Ordinal);
        Assert.Contains("'nothing'", Assert.Throws<ArgumentException>(() => loaded.Predict(new Dictionary<string, Array> { ["input"] = good }, ["nothing"])).Message, StringComparison.Ordinal);

        // double rows are narrowed to the graph's float32, as the TorchSharp flavor does.
        var doubles = good.Select(r => r.Select(v => (double)v).ToArray()).ToArray();
        OnnxTestModels.AssertClose(model.Predict(good), (float[][])loaded.Predict(new Dictionary<string, Array> { ["input"] = doubles })["output"]);
    }

    [Fact]
    public void Corrupt_models_and_manifests_are_refused_naming_what_is_wrong()
    {
        Assert.Throws<DataFormatException>(() => OnnxModel.FromBytes([1, 2, 3, 4, 5]));
        Assert.Throws<ArgumentException>(() => OnnxModel.FromBytes([]));

        var folder = _folder.Combine("bad");
        Directory.CreateDirectory(folder);
        var flavor = new OnnxModelFlavor();
        ModelManifest Manifest(JsonObject onnx) => new() { Flavors = { ["onnx"] = onnx } };

        var escape = Assert.Throws<MlflowException>(() => flavor.LoadAsync(folder, Manifest(new JsonObject { ["data"] = "../model.onnx" })).GetAwaiter().GetResult());
        Assert.Contains("outside the model folder", escape.Message, StringComparison.Ordinal);
        Assert.Equal(404, Assert.Throws<MlflowException>(() => flavor.LoadAsync(folder, Manifest(new JsonObject { ["data"] = "model.onnx" })).GetAwaiter().GetResult()).HttpStatusCode);

        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), [9, 9, 9]);
        var corrupt = Assert.Throws<DataFormatException>(() => flavor.LoadAsync(folder, Manifest(new JsonObject { ["data"] = "model.onnx" })).GetAwaiter().GetResult());
        Assert.Contains("model.onnx", corrupt.Message, StringComparison.Ordinal);

        using var model = Sequential.Input(2).Dense(1).Build(1);
        model.ExportOnnx(Path.Combine(folder, "model.onnx"));
        var option = Assert.Throws<MlflowException>(() => flavor.LoadAsync(folder, Manifest(new JsonObject
        {
            ["data"] = "model.onnx",
            ["onnx_session_options"] = new JsonObject { ["enable_warp_drive"] = true },
        })).GetAwaiter().GetResult());
        Assert.Contains("enable_warp_drive", option.Message, StringComparison.Ordinal);
        var level = Assert.Throws<MlflowException>(() => flavor.LoadAsync(folder, Manifest(new JsonObject
        {
            ["data"] = "model.onnx",
            ["onnx_session_options"] = new JsonObject { ["graph_optimization_level"] = 7 },
        })).GetAwaiter().GetResult());
        Assert.Contains("graph_optimization_level", level.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddOnnxFlavor_gives_the_containers_tracking_client_the_onnx_flavor()
    {
        var services = new ServiceCollection();
        services.AddMlops().AddOnnxFlavor().AddTracking(o => o.TrackingUri = "sqlite:///" + _folder.Combine("di.db"));
        using var provider = services.BuildServiceProvider();
        var tracking = provider.GetRequiredService<TrackingClient>();
        Assert.Equal([OnnxModelFlavor.FlavorName], tracking.Flavors.All.Select(f => f.Name));
        using var model = Sequential.Input(2).Dense(1).Build(1);
        using var run = tracking.StartRun();
        using var loaded = tracking.LoadModel(run.LogModel(OnnxModel.FromBytes(OnnxExporter.ToBytes(model))).ModelUri);
        Assert.IsType<LoadedOnnxModel>(loaded);
    }
}
