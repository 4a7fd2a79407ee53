using System.Text.Json.Nodes;
using Mlops.Tracking.Models;

namespace Mlops.Tracking.Tests.Models;

public sealed class ModelManifestTests
{
    [Fact]
    public void Manifest_round_trips_and_bad_manifests_name_their_source()
    {
        var manifest = new ModelManifest
        {
            ArtifactPath = "model",
            RunId = "abc",
            Flavors = { ["mlnet"] = new JsonObject { ["model_file"] = "model.zip" }, ["torch"] = new JsonObject { ["weights"] = "w.pt" } },
            Signature = new ModelSignature([SignatureField.Column("age", "double")]),
        };
        var parsed = ModelManifest.Parse(manifest.ToJson(), "mem");
        Assert.Equal("abc", parsed.RunId);
        Assert.Equal(["mlnet", "torch"], parsed.Flavors.Keys.Order());
        Assert.Equal("age", parsed.Signature!.Inputs[0].Name);
        Assert.Null(parsed.Signature.Outputs);
        Assert.Contains("\"inputs\": \"[{", manifest.ToJson(), StringComparison.Ordinal);

        foreach (var bad in new[] { "flavors: [unclosed", "just text", "{\"flavors\": 3" })
        {
            var error = Assert.Throws<DataFormatException>(() => ModelManifest.Parse(bad, "s3/MLmodel"));
            Assert.Contains("s3/MLmodel", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Block_yaml_as_mlflows_python_client_writes_it_parses_with_scalars_resolved_as_pyyaml_does()
    {
        var parsed = ModelManifest.Parse(
            """
            artifact_path: model
            flavors:
              sklearn:
                code: null
                pickled_model: model.pkl
                serialization_format: cloudpickle
                sklearn_version: 1.5.1
              python_function:
                env:
                  conda: conda.yaml
                loader_module: mlflow.sklearn
                predict_fn: predict
                python_version: 3.11.9
                streamable: false
                threshold: 0.5
                workers: 4
            model_uuid: 0123456789
            run_id: 9e12
            signature:
              inputs: '[{"type": "double", "name": "age"}]'
              outputs: '[{"type": "long"}]'
            utc_time_created: '2024-09-18 10:21:42.123456'
            """,
            "mem");
        Assert.Equal("model", parsed.ArtifactPath);
        Assert.Equal("9e12", parsed.RunId);
        Assert.Equal("0123456789", parsed.ModelUuid);
        var sklearn = parsed.Flavors["sklearn"];
        Assert.Null(sklearn["code"]);
        Assert.Equal("1.5.1", sklearn["sklearn_version"]!.GetValue<string>());
        var pyfunc = parsed.Flavors["python_function"];
        Assert.False(pyfunc["streamable"]!.GetValue<bool>());
        Assert.Equal(0.5, pyfunc["threshold"]!.GetValue<double>());
        Assert.Equal(4L, pyfunc["workers"]!.GetValue<long>());
        Assert.Equal("conda.yaml", pyfunc["env"]!["conda"]!.GetValue<string>());
        Assert.Equal(("age", "double"), (parsed.Signature!.Inputs[0].Name, parsed.Signature.Inputs[0].Type));
        Assert.Equal("long", Assert.Single(parsed.Signature.Outputs!).Type);
        Assert.Equal(new DateTimeOffset(2024, 9, 18, 10, 21, 42, 123, 456, TimeSpan.Zero), parsed.UtcTimeCreated);
    }
}
