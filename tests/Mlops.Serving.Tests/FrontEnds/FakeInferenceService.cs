using Mlops.Serving.Inference;
using Mlops.Serving.Observability;

namespace Mlops.Serving.Tests.FrontEnds;

/// <summary>
/// A deterministic model server for wire tests. Model "plus1" (versions 1 and 2, 2 by default) answers each input
/// <c>x</c> with an output <c>x_out</c> of the same datatype and shape: numbers plus 1 (wrapping), BOOL negated, BYTES
/// echoed; it echoes the id and the request's parameters. Other models fail in one way each.
/// </summary>
internal sealed class FakeInferenceService(ServingMetrics metrics) : InferenceService
{
    public bool Live { get; set; } = true;

    public bool Ready { get; set; } = true;

    public List<string> Loaded { get; } = [];

    public List<string> Unloaded { get; } = [];

    public override bool IsLive => Live;

    public override bool IsReady => Ready;

    public override ServerMetadata Metadata { get; } = new("fake-server", "0.0-test", ["binary_tensor_data", "model_repository"]);

    public override ValueTask<ModelMetadata> GetModelMetadataAsync(string model, string? version, CancellationToken cancellationToken = default)
    {
        var resolved = Resolve(model, version);
        return ValueTask.FromResult(new ModelMetadata(model, model == "plus1" ? ["1", "2"] : [resolved ?? "1"], "fake_plus1",
            [new TensorMetadata("x", TensorDataType.Fp32, [-1, 3])], [new TensorMetadata("x_out", TensorDataType.Fp32, [-1, 3])]));
    }

    public override ValueTask<bool> IsModelReadyAsync(string model, string? version, CancellationToken cancellationToken = default)
    {
        Resolve(model, version);
        return ValueTask.FromResult(model != "loading");
    }

    public override async ValueTask<InferenceResponse> InferAsync(string model, string? version, InferenceRequest request, InferenceCallContext? context = null, CancellationToken cancellationToken = default)
    {
        var resolved = Resolve(model, version);
        switch (model)
        {
            case "slow":
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case "busy":
                throw InferenceException.Unavailable("model 'busy' has a full queue.", TimeSpan.FromSeconds(7));
            case "broken":
                throw new InvalidOperationException("SECRET /etc/models/broken.onnx stack detail");
            case "failing":
                throw new InferenceException(InferenceErrorKind.ModelFailed, "SECRET failure detail");
            case "loading":
                throw InferenceException.Unavailable("model 'loading' is loading.");
            case "route":
                context!.Route = context.RequestedRoute ?? "candidate-b";
                break;
            case "badutf8":
                return new InferenceResponse(model, resolved, [new InferenceTensor("y", TensorDataType.Bytes, [1], new[] { new byte[] { 0xff, 0xfe } })], request.Id);
            case "nan":
                return new InferenceResponse(model, resolved, [InferenceTensor.Create("y", [4], new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1.5f })], request.Id);
        }

        var outputs = new List<InferenceTensor>();
        foreach (var input in request.Inputs)
        {
            outputs.Add(new InferenceTensor(input.Name + "_out", input.Datatype, input.Shape, PlusOne(input.Datatype, input.Data)));
        }

        if (request.Outputs is { } requested)
        {
            var chosen = new List<InferenceTensor>();
            foreach (var r in requested)
            {
                chosen.Add(outputs.Find(o => o.Name == r.Name) ?? throw InferenceException.InvalidRequest($"model '{model}' has no output '{r.Name}'."));
            }

            outputs = chosen;
        }

        metrics.RequestSucceeded(model, resolved, TimeSpan.FromMilliseconds(1));
        return new InferenceResponse(model, resolved, outputs, request.Id, request.Parameters);
    }

    public override ValueTask<IReadOnlyList<RepositoryModel>> GetRepositoryIndexAsync(bool readyOnly = false, CancellationToken cancellationToken = default)
    {
        RepositoryModel[] all =
        [
            new("plus1", "2", ModelState.Ready, null),
            new("loading", null, ModelState.Loading, null),
            new("broken", "3", ModelState.Unavailable, "load failed: file missing"),
            new("leaving", "1", ModelState.Unloading, null),
        ];
        return ValueTask.FromResult<IReadOnlyList<RepositoryModel>>(readyOnly ? [.. all.Where(m => m.State == ModelState.Ready)] : all);
    }

    public override ValueTask LoadModelAsync(string model, CancellationToken cancellationToken = default)
    {
        Resolve(model, null);
        if (model == "failing")
        {
            throw new InferenceException(InferenceErrorKind.ModelFailed, "SECRET load failure");
        }

        Loaded.Add(model);
        return ValueTask.CompletedTask;
    }

    public override ValueTask UnloadModelAsync(string model, CancellationToken cancellationToken = default)
    {
        Resolve(model, null);
        Unloaded.Add(model);
        return ValueTask.CompletedTask;
    }

    private static readonly string[] Models = ["plus1", "slow", "busy", "broken", "failing", "loading", "route", "badutf8", "nan"];

    private static string? Resolve(string model, string? version)
    {
        if (Array.IndexOf(Models, model) < 0)
        {
            throw InferenceException.ModelNotFound(model, null);
        }

        if (version is not null && version != "1" && version != "2")
        {
            throw InferenceException.ModelNotFound(model, version);
        }

        return version ?? "2";
    }

    // On the datatype: the CLR lets an sbyte[] pass for a byte[] (int[] for uint[]...), so a type pattern could pick the wrong arm.
    internal static Array PlusOne(TensorDataType type, Array data) => (type, data) switch
    {
        (TensorDataType.Bool, bool[] a) => a.Select(v => !v).ToArray(),
        (TensorDataType.UInt8, byte[] a) => a.Select(v => unchecked((byte)(v + 1))).ToArray(),
        (TensorDataType.UInt16, ushort[] a) => a.Select(v => unchecked((ushort)(v + 1))).ToArray(),
        (TensorDataType.UInt32, uint[] a) => a.Select(v => unchecked(v + 1)).ToArray(),
        (TensorDataType.UInt64, ulong[] a) => a.Select(v => unchecked(v + 1)).ToArray(),
        (TensorDataType.Int8, sbyte[] a) => a.Select(v => unchecked((sbyte)(v + 1))).ToArray(),
        (TensorDataType.Int16, short[] a) => a.Select(v => unchecked((short)(v + 1))).ToArray(),
        (TensorDataType.Int32, int[] a) => a.Select(v => unchecked(v + 1)).ToArray(),
        (TensorDataType.Int64, long[] a) => a.Select(v => unchecked(v + 1)).ToArray(),
        (TensorDataType.Fp16, Half[] a) => a.Select(v => (Half)((float)v + 1)).ToArray(),
        (TensorDataType.Fp32, float[] a) => a.Select(v => v + 1).ToArray(),
        (TensorDataType.Fp64, double[] a) => a.Select(v => v + 1).ToArray(),
        (TensorDataType.Bytes, byte[][] a) => a.Select(v => v.ToArray()).ToArray(),
        _ => throw new InvalidOperationException(data.GetType().Name),
    };
}
