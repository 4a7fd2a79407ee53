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

        var error = Assert.Throws<DataFormatException>(() => ModelManifest.Parse("flavors:\n  python_function: {}", "s3/MLmodel"));
        Assert.Contains("s3/MLmodel", error.Message, StringComparison.Ordinal);
    }
}
