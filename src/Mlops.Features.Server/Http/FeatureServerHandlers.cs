using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mlops.Features.FeatureStore;
using Mlops.Features.FeatureStore.Definitions;
using Mlops.Features.FeatureStore.Registry;

namespace Mlops.Features.Server.Http;

/// <summary>
/// The feature server's endpoints over one <see cref="FeatureStoreClient"/>: each reads its JSON body, checks the
/// names it carries against the registry (so an unknown view, service or push source gets Feast's 404), converts the
/// columns to the declared types, calls the client and writes Feast's response. A client's mistake is a 4xx naming it;
/// anything else is logged and answered 500 without its text.
/// </summary>
internal sealed partial class FeatureServerHandlers
{
    private readonly Func<FeatureStoreClient> _resolve;
    private readonly long _maxBodyBytes;
    private readonly ILogger _logger;
    private FeatureStoreClient? _resolved;

    public FeatureServerHandlers(Func<FeatureStoreClient> client, long maxBodyBytes, ILogger logger)
    {
        _resolve = client;
        _maxBodyBytes = maxBodyBytes;
        _logger = logger;
    }

    // The host's singleton: resolving it twice on a race gives the same instance.
    private FeatureStoreClient Client => _resolved ??= _resolve();

    public Task GetOnlineFeaturesAsync(HttpContext context) => RunAsync(context, "get-online-features", async (root, ct) =>
    {
        string[]? features = null;
        string? service = null;
        JsonElement? entities = null;
        var fullFeatureNames = false;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "features" when property.Value.ValueKind != JsonValueKind.Null:
                    features = StringArray(property.Value, "features");
                    break;
                case "feature_service" when property.Value.ValueKind != JsonValueKind.Null:
                    service = String(property.Value, "feature_service");
                    break;
                case "entities":
                    entities = property.Value;
                    break;
                case "full_feature_names":
                    fullFeatureNames = Boolean(property.Value, "full_feature_names");
                    break;
            }
        }

        if ((features is null) == (service is null))
        {
            throw FeatureServerRequestException.BadRequest(features is null
                ? "The request names no features; give \"features\": [\"view:feature\", ...] or \"feature_service\": \"name\"."
                : "The request gives both \"features\" and \"feature_service\"; give one.");
        }

        var snapshot = Client.Registry.GetSnapshot();
        FeatureService? featureService = null;
        if (service is not null)
        {
            featureService = snapshot.FeatureServices.TryGetValue(service, out var found) ? found : throw FeatureServerRequestException.FeatureServiceNotFound(service, snapshot.Project);
        }
        else
        {
            CheckReferences(snapshot, features!);
        }

        if (entities is not { ValueKind: JsonValueKind.Object } entityColumns)
        {
            throw FeatureServerRequestException.BadRequest(entities is null
                ? "The request has no \"entities\"; give {\"join_key\": [values, ...]}."
                : $"\"entities\" is {JsonValues.Describe(entities.Value)}; give an object of join keys, each an array of values.");
        }

        var rows = ReadEntities(snapshot, entityColumns);
        var response = featureService is not null
            ? await Client.GetOnlineFeaturesAsync(rows, featureService, fullFeatureNames, ct).ConfigureAwait(false)
            : await Client.GetOnlineFeaturesAsync(rows, features!, fullFeatureNames, ct).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            OnlineFeaturesJson.Write(writer, response);
        }
    });

    public Task PushAsync(HttpContext context) => RunAsync(context, "push", async (root, ct) =>
    {
        var source = String(Required(root, "push_source_name"), "push_source_name");
        var to = Optional(root, "to") is { ValueKind: not JsonValueKind.Null } mode ? String(mode, "to") : "online";
        var pushMode = to switch
        {
            "online" => PushMode.Online,
            "offline" => PushMode.Offline,
            "online_and_offline" => PushMode.OnlineAndOffline,
            _ => throw FeatureServerRequestException.BadRequest($"\"to\" is '{to}'; give \"online\", \"offline\" or \"online_and_offline\"."),
        };
        var snapshot = Client.Registry.GetSnapshot();
        var view = snapshot.FeatureViews.Values.FirstOrDefault(v => v.Source is PushSource p && p.Name == source)
            ?? throw FeatureServerRequestException.PushSourceNotFound(source, snapshot.Project);
        var frame = DataFrameJson.ToFrame(Required(root, "df"), "df", column =>
            DataFrameJson.DeclaredType(snapshot, view, view.Source.FieldMapping.TryGetValue(column, out var mapped) ? mapped : column));
        await Client.PushAsync(source, frame, pushMode, ct).ConfigureAwait(false);
        await WriteNullAsync(context).ConfigureAwait(false);
    });

    public Task WriteToOnlineStoreAsync(HttpContext context) => RunAsync(context, "write-to-online-store", async (root, ct) =>
    {
        var name = String(Required(root, "feature_view_name"), "feature_view_name");
        var snapshot = Client.Registry.GetSnapshot();
        var view = snapshot.FeatureViews.TryGetValue(name, out var found) ? found : throw FeatureServerRequestException.FeatureViewNotFound(name, snapshot.Project);
        var frame = DataFrameJson.ToFrame(Required(root, "df"), "df", column => DataFrameJson.DeclaredType(snapshot, view, column));
        await Client.WriteToOnlineStoreAsync(name, frame, ct).ConfigureAwait(false);
        await WriteNullAsync(context).ConfigureAwait(false);
    });

    public Task MaterializeAsync(HttpContext context) => RunAsync(context, "materialize", async (root, ct) =>
    {
        var start = JsonValues.ParseTime(Required(root, "start_ts"), "start_ts");
        var end = JsonValues.ParseTime(Required(root, "end_ts"), "end_ts");
        var views = FeatureViews(root);
        await Client.MaterializeAsync(start, end, views, null, ct).ConfigureAwait(false);
        await WriteNullAsync(context).ConfigureAwait(false);
    });

    public Task MaterializeIncrementalAsync(HttpContext context) => RunAsync(context, "materialize-incremental", async (root, ct) =>
    {
        var end = JsonValues.ParseTime(Required(root, "end_ts"), "end_ts");
        var views = FeatureViews(root);
        await Client.MaterializeIncrementalAsync(end, views, null, ct).ConfigureAwait(false);
        await WriteNullAsync(context).ConfigureAwait(false);
    });

    /// <summary>200 while the registry answers, 503 when it does not (as Feast's <c>/health</c>).</summary>
    public Task HealthAsync(HttpContext context)
    {
        try
        {
            _ = Client.Registry.GetSnapshot();
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnhealthy(_logger, e);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }

        return Task.CompletedTask;
    }

    private async Task RunAsync(HttpContext context, string endpoint, Func<JsonElement, CancellationToken, Task> handle)
    {
        var ct = context.RequestAborted;
        try
        {
            using var document = await JsonRequestBody.ReadAsync(context.Request, _maxBodyBytes, ct).ConfigureAwait(false);
            await handle(document.RootElement, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            if (FeatureServerErrors.Classify(e) is { } refusal)
            {
                await FeatureServerErrors.WriteAsync(context.Response, refusal.Status, refusal.Module, refusal.Class, refusal.Message).ConfigureAwait(false);
                return;
            }

            LogFailure(_logger, endpoint, e);
            await FeatureServerErrors.WriteAsync(context.Response, StatusCodes.Status500InternalServerError, FeatureServerErrors.OwnModule, "InternalServerError", $"The feature server failed to handle /{endpoint}; its log has the details.").ConfigureAwait(false);
        }
    }

    private static void CheckReferences(RegistrySnapshot snapshot, string[] features)
    {
        if (features.Length == 0)
        {
            throw FeatureServerRequestException.BadRequest("\"features\" is empty; give at least one \"view:feature\".");
        }

        foreach (var reference in features)
        {
            var colon = reference.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == reference.Length - 1 || reference.IndexOf(':', colon + 1) >= 0)
            {
                throw FeatureServerRequestException.BadRequest($"Feature reference '{reference}' is not 'view:feature'.");
            }

            var view = reference[..colon];
            if (!snapshot.FeatureViews.ContainsKey(view) && !snapshot.OnDemandFeatureViews.ContainsKey(view))
            {
                throw FeatureServerRequestException.FeatureViewNotFound(view, snapshot.Project);
            }
        }
    }

    private static Dictionary<string, IReadOnlyList<object?>> ReadEntities(RegistrySnapshot snapshot, JsonElement entities)
    {
        var rows = new Dictionary<string, IReadOnlyList<object?>>(StringComparer.Ordinal);
        foreach (var column in entities.EnumerateObject())
        {
            if (rows.ContainsKey(column.Name))
            {
                throw FeatureServerRequestException.BadRequest($"\"entities\" has '{column.Name}' twice.");
            }

            rows[column.Name] = DataFrameJson.ReadColumn(column.Value, EntityType(snapshot, column.Name), "Entity", column.Name);
        }

        return rows;
    }

    /// <summary>The declared type of an entity column: a join key's entity type, or an on-demand view's request field type.</summary>
    private static FeatureValueType? EntityType(RegistrySnapshot snapshot, string column)
    {
        foreach (var entity in snapshot.Entities.Values)
        {
            if (entity.JoinKeys.Contains(column))
            {
                return entity.ValueType;
            }
        }

        foreach (var view in snapshot.OnDemandFeatureViews.Values)
        {
            if (view.RequestSchema.FirstOrDefault(f => f.Name == column) is { } field)
            {
                return field.Type;
            }
        }

        return null;
    }

    private string[]? FeatureViews(JsonElement root)
    {
        if (Optional(root, "feature_views") is not { ValueKind: not JsonValueKind.Null } value)
        {
            return null;
        }

        var names = StringArray(value, "feature_views");
        var snapshot = Client.Registry.GetSnapshot();
        foreach (var name in names)
        {
            if (!snapshot.FeatureViews.ContainsKey(name))
            {
                throw FeatureServerRequestException.FeatureViewNotFound(name, snapshot.Project);
            }
        }

        return names;
    }

    private static JsonElement Required(JsonElement root, string name) =>
        Optional(root, name) is { ValueKind: not JsonValueKind.Null } value ? value : throw FeatureServerRequestException.BadRequest($"The request has no \"{name}\".");

    private static JsonElement? Optional(JsonElement root, string name) => root.TryGetProperty(name, out var value) ? value : null;

    private static string String(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw FeatureServerRequestException.BadRequest($"\"{name}\" is {JsonValues.Describe(value)}; give a string.");

    private static bool Boolean(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False or JsonValueKind.Null => false,
        _ => throw FeatureServerRequestException.BadRequest($"\"{name}\" is {JsonValues.Describe(value)}; give true or false."),
    };

    private static string[] StringArray(JsonElement value, string name)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw FeatureServerRequestException.BadRequest($"\"{name}\" is {JsonValues.Describe(value)}; give an array of strings.");
        }

        var result = new string[value.GetArrayLength()];
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[index] = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw FeatureServerRequestException.BadRequest($"\"{name}\"[{index}] is {JsonValues.Describe(item)}; give a string.");
            index++;
        }

        return result;
    }

    // Feast's handlers return None, which FastAPI sends as a JSON null.
    private static Task WriteNullAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("null", context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The feature server failed to handle /{Endpoint}.")]
    private static partial void LogFailure(ILogger logger, string endpoint, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The feature server's registry does not answer; /health reports 503.")]
    private static partial void LogUnhealthy(ILogger logger, Exception error);
}
