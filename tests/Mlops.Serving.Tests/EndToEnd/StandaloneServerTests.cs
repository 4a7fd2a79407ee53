using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Mlops.Serving.Grpc.Protocol;
using Mlops.Serving.Server;
using Mlops.Serving.Tests.Runtime.Support;

namespace Mlops.Serving.Tests.EndToEnd;

/// <summary>
/// The whole path, as a user runs it: a TorchSharp model logged and registered with an alias in a SQLite store, served by
/// the standalone server (mlops-serving) over REST and gRPC on loopback, answering what the model itself predicts.
/// </summary>
public sealed class StandaloneServerTests : IAsyncLifetime
{
    private readonly ServingTestBed _bed = new();
    private WebApplication? _app;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await _bed.DisposeAsync();
    }

    [Fact]
    public async Task A_registered_model_served_by_alias_answers_over_rest_and_grpc_as_the_model_predicts()
    {
        var version = _bed.LogTorch(seed: 7);
        _bed.Tracking.Registry.SetRegisteredModelAlias("recsys", "champion", version);
        int httpPort = FreePort(), grpcPort = FreePort();
        _app = ServingServer.Build(
        [
            "--tracking-uri", _bed.TrackingUri, "--model", "recsys=models:/recsys@champion", "--host", "127.0.0.1",
            "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--grpc-port", grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-batch-size", "16",
        ]);
        await _app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/") };

        var ready = await http.GetAsync("v2/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var metadata = JsonNode.Parse(await http.GetStringAsync("v2/models/recsys"))!;
        Assert.Equal(version, metadata["versions"]![0]!.GetValue<string>());
        Assert.Equal("features", metadata["inputs"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("FP32", metadata["inputs"]![0]!["datatype"]!.GetValue<string>());
        Assert.Equal("[-1,4]", metadata["inputs"]![0]!["shape"]!.ToJsonString());

        var rows = ServingTestBed.Rows(3, seed: 11);
        var expected = _bed.Expected("recsys", version, rows);
        var body = new JsonObject
        {
            ["id"] = "e2e-1",
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "features",
                ["datatype"] = "FP32",
                ["shape"] = new JsonArray(3, 4),
                ["data"] = new JsonArray(rows.Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)v).ToArray())).ToArray()),
            }),
        };
        var response = await http.PostAsJsonAsync("v2/models/recsys/infer", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("e2e-1", answer["id"]!.GetValue<string>());
        Assert.Equal(version, answer["model_version"]!.GetValue<string>());
        var output = answer["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "prediction")!;
        Assert.Equal("[3,2]", output["shape"]!.ToJsonString());
        var flat = output["data"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
        ServingTestBed.AssertRows(expected, flat.Chunk(2).ToArray());

        // A client's mistake is a 400 naming the input, never a 5xx.
        body["inputs"]![0]!["shape"] = new JsonArray(4, 3);
        var bad = await http.PostAsJsonAsync("v2/models/recsys/infer", body);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("features", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = new ModelInferRequest { ModelName = "recsys", Id = "e2e-2" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32" };
        input.Shape.Add([3, 4]);
        request.Inputs.Add(input);
        var raw = new byte[3 * 4 * sizeof(float)];
        Buffer.BlockCopy(rows.SelectMany(r => r).ToArray(), 0, raw, 0, raw.Length);
        request.RawInputContents.Add(ByteString.CopyFrom(raw));
        var reply = await grpc.ModelInferAsync(request);
        Assert.Equal("e2e-2", reply.Id);
        var index = reply.Outputs.Select(o => o.Name).ToList().IndexOf("prediction");
        var values = new float[6];
        Buffer.BlockCopy(reply.RawOutputContents[index].ToByteArray(), 0, values, 0, 24);
        ServingTestBed.AssertRows(expected, values.Chunk(2).ToArray());
    }

    [Fact]
    public void Bad_arguments_name_what_is_wrong()
    {
        Assert.Contains("--model", Assert.Throws<ArgumentException>(() => ServingServer.Build([])).Message, StringComparison.Ordinal);
        Assert.Contains("NAME=URI", Assert.Throws<ArgumentException>(() => ServingServer.Build(["--model", "recsys"])).Message, StringComparison.Ordinal);
        Assert.Contains("--http-port", Assert.Throws<ArgumentException>(() => ServingServer.Build(["--model", "a=b", "--http-port", "70000"])).Message, StringComparison.Ordinal);
        Assert.Contains("--host", Assert.Throws<ArgumentException>(() => ServingServer.Build(["--model", "a=b", "--host", "localhost"])).Message, StringComparison.Ordinal);
        Assert.Contains("--frobnicate", Assert.Throws<ArgumentException>(() => ServingServer.Build(["--frobnicate"])).Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
