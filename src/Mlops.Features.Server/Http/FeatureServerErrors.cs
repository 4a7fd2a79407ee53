using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mlops.Features.FeatureStore;

namespace Mlops.Features.Server.Http;

/// <summary>
/// A request the server refuses, with its status and Feast's error identity: Feast's clients rebuild a
/// <c>FeastError</c> from <c>module</c> and <c>class</c>, so where Feast has the error (an unknown view, service or push
/// source) its module and class are used.
/// </summary>
internal sealed class FeatureServerRequestException : Exception
{
    public FeatureServerRequestException(int statusCode, string message, string errorClass = "FeatureServerRequestException", string module = FeatureServerErrors.OwnModule)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorClass = errorClass;
        Module = module;
    }

    public int StatusCode { get; }

    public string ErrorClass { get; }

    public string Module { get; }

    public static FeatureServerRequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static FeatureServerRequestException FeatureViewNotFound(string view, string project) =>
        new(StatusCodes.Status404NotFound, $"Feature view {view} does not exist in project {project}", "FeatureViewNotFoundException", FeatureServerErrors.FeastModule);

    public static FeatureServerRequestException FeatureServiceNotFound(string service, string project) =>
        new(StatusCodes.Status404NotFound, $"Feature service {service} does not exist in project {project}", "FeatureServiceNotFoundException", FeatureServerErrors.FeastModule);

    public static FeatureServerRequestException PushSourceNotFound(string source, string project) =>
        new(StatusCodes.Status404NotFound, $"Unable to find push source '{source}' in project {project}.", "PushSourceNotFoundException", FeatureServerErrors.FeastModule);
}

/// <summary>Turns what a handler threw into a status and Feast's error body <c>{"module", "class", "message"}</c>.</summary>
internal static class FeatureServerErrors
{
    public const string FeastModule = "feast.errors";
    public const string OwnModule = "Mlops.Features.Server";

    /// <summary>The response of a failure, or null when it is the server's own (then the caller logs it and answers 500 without its text).</summary>
    public static (int Status, string Module, string Class, string Message)? Classify(Exception error) => error switch
    {
        FeatureServerRequestException r => (r.StatusCode, r.Module, r.ErrorClass, r.Message),
        FeatureNameCollisionException c => (StatusCodes.Status400BadRequest, FeastModule, "FeatureNameCollisionError", c.Message),
        FeatureReferenceException r => (StatusCodes.Status404NotFound, Namespace(r), r.GetType().Name, r.Message),
        SchemaException or DataFormatException => (StatusCodes.Status400BadRequest, Namespace(error), error.GetType().Name, error.Message),
        BadHttpRequestException b => (b.StatusCode, OwnModule, "BadHttpRequestException", b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is larger than the server accepts." : "The request could not be read: " + b.Message),
        // A string of the request's document that does not decode (an escaped lone surrogate) fails as it is read.
        InvalidOperationException when error.TargetSite?.DeclaringType?.Assembly == typeof(JsonDocument).Assembly =>
            (StatusCodes.Status400BadRequest, OwnModule, "FeatureServerRequestException", "The request body has a JSON string that is not valid Unicode text."),
        ArgumentException a => (StatusCodes.Status400BadRequest, OwnModule, "ArgumentException", StripParameter(a)),
        _ => null,
    };

    public static async Task WriteAsync(HttpResponse response, int status, string module, string errorClass, string message)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("module", module);
            writer.WriteString("class", errorClass);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static string Namespace(Exception error) => error.GetType().Namespace ?? OwnModule;

    // ArgumentException appends " (Parameter 'x')", which names our parameter, not the request's field.
    private static string StripParameter(ArgumentException error) =>
        error.ParamName is { } name && error.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? error.Message[..^$" (Parameter '{name}')".Length]
            : error.Message;
}
