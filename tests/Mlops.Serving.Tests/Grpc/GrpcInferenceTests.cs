using Google.Protobuf;
using Grpc.Core;
using Mlops.Serving.Grpc.Protocol;
using Mlops.Serving.Inference;
using Mlops.Serving.Protocol;
using Mlops.Serving.Tests.FrontEnds;
using Mlops.Serving.Tests.Rest;

namespace Mlops.Serving.Tests.Grpc;

public sealed class GrpcInferenceTests
{
    public static TheoryData<string> Datatypes => new(Enum.GetValues<TensorDataType>().Select(t => t.ToProtocolName()));

    [Fact]
    public async Task Health_and_metadata_rpcs_answer()
    {
        await using var host = await ServingTestHost.StartAsync();
        Assert.True((await host.Grpc.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await host.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
        var server = await host.Grpc.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Equal("fake-server", server.Name);
        Assert.Equal(["binary_tensor_data", "model_repository"], server.Extensions);
        var model = await host.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "plus1", Version = "1" });
        Assert.Equal(["1", "2"], model.Versions);
        Assert.Equal("FP32", model.Inputs[0].Datatype);
        Assert.Equal([-1L, 3L], model.Inputs[0].Shape);
        Assert.True((await host.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "plus1" })).Ready);
        Assert.False((await host.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "loading" })).Ready);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "plus1", Version = "9" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("version '9'", missing.Status.Detail, StringComparison.Ordinal);
        host.Service.Ready = false;
        Assert.False((await host.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Every_datatype_goes_raw_and_comes_back_raw(string datatype)
    {
        await using var host = await ServingTestHost.StartAsync();
        TensorDataTypes.TryParse(datatype, out var type);
        var input = RestBinaryTensorTests.Sample(type);
        var request = new ModelInferRequest { ModelName = "plus1", Id = "raw-1" };
        request.Inputs.Add(Input("x", datatype, [2, 2]));
        request.RawInputContents.Add(ByteString.CopyFrom(TensorBinaryCodec.Encode(input)));
        var response = await host.Grpc.ModelInferAsync(request);
        Assert.Equal("raw-1", response.Id);
        Assert.Equal("2", response.ModelVersion);
        Assert.Equal("x_out", response.Outputs[0].Name);
        Assert.Null(response.Outputs[0].Contents);
        var expected = new InferenceTensor("x_out", type, [2, 2], FakeInferenceService.PlusOne(type, input.Data));
        Assert.Equal(TensorBinaryCodec.Encode(expected), response.RawOutputContents[0].ToByteArray());
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Every_datatype_but_fp16_goes_in_typed_contents(string datatype)
    {
        await using var host = await ServingTestHost.StartAsync();
        TensorDataTypes.TryParse(datatype, out var type);
        var input = RestBinaryTensorTests.Sample(type);
        var request = new ModelInferRequest { ModelName = "plus1", ModelVersion = "1" };
        var tensor = Input("x", datatype, [2, 2]);
        request.Inputs.Add(tensor);
        if (type == TensorDataType.Fp16)
        {
            tensor.Contents = new InferTensorContents();
            tensor.Contents.Fp32Contents.Add(1f);
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.ModelInferAsync(request));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            Assert.Contains("FP16", refused.Status.Detail, StringComparison.Ordinal);
            return;
        }

        tensor.Contents = Contents(type, input.Data);
        var response = await host.Grpc.ModelInferAsync(request);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal("1", response.ModelVersion);
        var expected = FakeInferenceService.PlusOne(type, input.Data);
        Assert.Equal(Contents(type, expected), response.Outputs[0].Contents);
    }

    [Fact]
    public async Task Parameters_requested_outputs_and_the_sticky_route_travel()
    {
        await using var host = await ServingTestHost.StartAsync();
        var request = new ModelInferRequest { ModelName = "plus1", Id = "p" };
        request.Parameters["s"] = new InferParameter { StringParam = "v" };
        request.Parameters["n"] = new InferParameter { Int64Param = -3 };
        request.Parameters["u"] = new InferParameter { Uint64Param = ulong.MaxValue };
        request.Parameters["d"] = new InferParameter { DoubleParam = 0.25 };
        request.Parameters["b"] = new InferParameter { BoolParam = true };
        foreach (var name in new[] { "a", "b" })
        {
            var tensor = Input(name, "INT64", [1]);
            tensor.Contents = new InferTensorContents();
            tensor.Contents.Int64Contents.Add(41);
            request.Inputs.Add(tensor);
        }

        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "b_out" });
        var response = await host.Grpc.ModelInferAsync(request);
        Assert.Equal("v", response.Parameters["s"].StringParam);
        Assert.Equal(-3, response.Parameters["n"].Int64Param);
        Assert.Equal(ulong.MaxValue, response.Parameters["u"].Uint64Param);
        Assert.Equal(0.25, response.Parameters["d"].DoubleParam);
        Assert.True(response.Parameters["b"].BoolParam);
        Assert.Equal("b_out", Assert.Single(response.Outputs).Name);
        Assert.Equal([42L], response.Outputs[0].Contents.Int64Contents);

        var routed = new ModelInferRequest { ModelName = "route" };
        var call = host.Grpc.ModelInferAsync(routed, new Metadata { { "x-mlops-route", "candidate-a" } });
        await call.ResponseAsync;
        Assert.Equal("candidate-a", (await call.ResponseHeadersAsync).Get("x-mlops-route")!.Value);
    }

    [Theory]
    [InlineData("plus1", "INT8", "int", "element 0 is 200; INT8 expects an integer in [-128, 127]", StatusCode.InvalidArgument)]
    [InlineData("plus1", "UINT16", "uint", "element 0 is 70000; UINT16", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "fp32", "is INT32 but carries fp32_contents; its elements go in int_contents", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "short", "shape [2] needs 2 elements but int_contents has 1", StatusCode.InvalidArgument)]
    [InlineData("plus1", "FLOAT", "int", "has datatype 'FLOAT'", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "none", "has no contents", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "raw-short", "7 bytes of binary data, but shape [2] of INT32 needs 2 × 4 = 8 bytes", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "raw-extra", "raw_input_contents has 2 entries but the request has 1 inputs", StatusCode.InvalidArgument)]
    [InlineData("plus1", "INT32", "raw-and-typed", "has contents but the request uses raw_input_contents", StatusCode.InvalidArgument)]
    [InlineData("", "INT32", "int", "names no model", StatusCode.InvalidArgument)]
    [InlineData("nope", "INT32", "int", "model 'nope' is not served here", StatusCode.NotFound)]
    [InlineData("busy", "INT32", "int", "full queue", StatusCode.Unavailable)]
    [InlineData("broken", "INT32", "int", "model 'broken' failed in inference; the server log has the details.", StatusCode.Internal)]
    [InlineData("failing", "INT32", "int", "model 'failing' failed in inference", StatusCode.Internal)]
    public async Task Bad_requests_and_failures_get_their_status_codes(string model, string datatype, string form, string expected, StatusCode code)
    {
        await using var host = await ServingTestHost.StartAsync();
        var request = new ModelInferRequest { ModelName = model };
        var tensor = Input("x", datatype, [2]);
        request.Inputs.Add(tensor);
        switch (form)
        {
            case "int": tensor.Contents = new InferTensorContents { IntContents = { 200, 1 } }; break;
            case "uint": tensor.Contents = new InferTensorContents { UintContents = { 70000, 1 } }; break;
            case "fp32": tensor.Contents = new InferTensorContents { Fp32Contents = { 1, 2 } }; break;
            case "short": tensor.Contents = new InferTensorContents { IntContents = { 1 } }; break;
            case "raw-short": request.RawInputContents.Add(ByteString.CopyFrom(new byte[7])); break;
            case "raw-extra": request.RawInputContents.Add(ByteString.CopyFrom(new byte[8])); request.RawInputContents.Add(ByteString.CopyFrom(new byte[8])); break;
            case "raw-and-typed": tensor.Contents = new InferTensorContents { IntContents = { 1, 2 } }; request.RawInputContents.Add(ByteString.CopyFrom(new byte[8])); break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.ModelInferAsync(request));
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(expected, error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", error.Status.Detail, StringComparison.Ordinal);
        if (code == StatusCode.Unavailable)
        {
            Assert.Equal("7", error.Trailers.Get("retry-after")!.Value);
        }
    }

    [Fact]
    public async Task The_request_timeout_is_deadline_exceeded()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(50));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.ModelInferAsync(new ModelInferRequest { ModelName = "slow" }));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("request timeout", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_over_the_body_limit_is_refused()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.MaxRequestBodyBytes = 1024);
        var request = new ModelInferRequest { ModelName = "plus1" };
        request.Inputs.Add(Input("x", "UINT8", [4096]));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[4096]));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.ModelInferAsync(request));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Api_keys_guard_every_rpc_but_live_and_ready()
    {
        await using var host = await ServingTestHost.StartAsync(o => o.ApiKeys = ["grpc-key"]);
        Assert.True((await host.Grpc.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await host.Grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
        var calls = new Func<Metadata?, Task>[]
        {
            m => host.Grpc.ServerMetadataAsync(new ServerMetadataRequest(), m).ResponseAsync,
            m => host.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "plus1" }, m).ResponseAsync,
            m => host.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "plus1" }, m).ResponseAsync,
            m => host.Grpc.ModelInferAsync(new ModelInferRequest { ModelName = "plus1" }, m).ResponseAsync,
            m => host.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest(), m).ResponseAsync,
            m => host.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "plus1" }, m).ResponseAsync,
            m => host.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "plus1" }, m).ResponseAsync,
        };
        foreach (var call in calls)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => call(null));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            refused = await Assert.ThrowsAsync<RpcException>(() => call(new Metadata { { "authorization", "Bearer wrong" } }));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            await call(new Metadata { { "authorization", "Bearer grpc-key" } });
            await call(new Metadata { { "x-api-key", "grpc-key" } });
        }
    }

    [Fact]
    public async Task Repository_rpcs_index_load_and_unload()
    {
        await using var host = await ServingTestHost.StartAsync();
        var index = await host.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest());
        Assert.Equal(["READY", "LOADING", "UNAVAILABLE", "UNLOADING"], index.Models.Select(m => m.State));
        Assert.Equal("load failed: file missing", index.Models[2].Reason);
        Assert.Single((await host.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true })).Models);
        await host.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "plus1" });
        await host.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "plus1" });
        Assert.Equal(["plus1"], host.Service.Loaded);
        Assert.Equal(["plus1"], host.Service.Unloaded);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "nope" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var failing = await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "failing" }));
        Assert.Equal(StatusCode.Internal, failing.StatusCode);
        Assert.DoesNotContain("SECRET", failing.Status.Detail, StringComparison.Ordinal);
        var config = new RepositoryModelLoadRequest { ModelName = "plus1" };
        config.Parameters["config"] = new ModelRepositoryParameter { StringParam = "{}" };
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await host.Grpc.RepositoryModelLoadAsync(config))).StatusCode);
    }

    private static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, long[] shape)
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype };
        tensor.Shape.AddRange(shape);
        return tensor;
    }

    private static InferTensorContents Contents(TensorDataType type, Array data)
    {
        var contents = new InferTensorContents();
        switch (type, data)
        {
            case (TensorDataType.Bool, bool[] a): contents.BoolContents.AddRange(a); break;
            case (TensorDataType.Int8, sbyte[] a): contents.IntContents.AddRange(a.Select(v => (int)v)); break;
            case (TensorDataType.Int16, short[] a): contents.IntContents.AddRange(a.Select(v => (int)v)); break;
            case (TensorDataType.Int32, int[] a): contents.IntContents.AddRange(a); break;
            case (TensorDataType.Int64, long[] a): contents.Int64Contents.AddRange(a); break;
            case (TensorDataType.UInt8, byte[] a): contents.UintContents.AddRange(a.Select(v => (uint)v)); break;
            case (TensorDataType.UInt16, ushort[] a): contents.UintContents.AddRange(a.Select(v => (uint)v)); break;
            case (TensorDataType.UInt32, uint[] a): contents.UintContents.AddRange(a); break;
            case (TensorDataType.UInt64, ulong[] a): contents.Uint64Contents.AddRange(a); break;
            case (TensorDataType.Fp32, float[] a): contents.Fp32Contents.AddRange(a); break;
            case (TensorDataType.Fp64, double[] a): contents.Fp64Contents.AddRange(a); break;
            case (TensorDataType.Bytes, byte[][] a): contents.BytesContents.AddRange(a.Select(ByteString.CopyFrom)); break;
        }

        return contents;
    }
}
