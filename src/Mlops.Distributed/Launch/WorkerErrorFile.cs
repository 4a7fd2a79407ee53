using System.Globalization;
using System.Text.Json;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Launch;

/// <summary>
/// The error file a failing worker leaves for its launcher, as torchelastic's <c>TORCHELASTIC_ERROR_FILE</c>: the
/// launcher gives each worker a path in <see cref="EnvironmentVariable"/>; a worker that fails calls
/// <see cref="Record"/> with the exception before it exits, and the launcher reads the files to report the root
/// cause: the rank others name as faulty (a stalled rank), else the first failure by time.
/// </summary>
/// <example>
/// <code>
/// try { Train(); }
/// catch (Exception e) { WorkerErrorFile.Record(e); throw; }
/// </code>
/// </example>
public static class WorkerErrorFile
{
    /// <summary>The variable holding the error file's path: <c>MLOPS_ERROR_FILE</c>.</summary>
    public const string EnvironmentVariable = "MLOPS_ERROR_FILE";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static int _hooked;

    /// <summary>
    /// Records the exception that ends the process, if one goes unhandled (an exception out of <c>Main</c>), with
    /// <see cref="Record"/>. Installed once per process; <c>MultiWorkerMirroredStrategy</c> installs it, so a trainer
    /// needs no code of its own. Does nothing unless a launcher set <see cref="EnvironmentVariable"/>.
    /// </summary>
    public static void RecordUnhandledExceptions()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable)) || Interlocked.Exchange(ref _hooked, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.UnhandledException += static (_, e) =>
        {
            if (e.ExceptionObject is Exception exception)
            {
                Record(exception);
            }
        };
    }

    /// <summary>
    /// Writes <paramref name="exception"/> to the file <see cref="EnvironmentVariable"/> names, if it names one and no
    /// error was recorded there yet (the first error is the cause). Never throws: a worker that cannot write its error
    /// file still fails with its own exception.
    /// </summary>
    /// <param name="exception">Why the worker fails. A <see cref="CollectiveException"/> gives the rank it blames.</param>
    /// <returns>Whether the file was written.</returns>
    public static bool Record(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(path) || File.Exists(path))
        {
            return false;
        }

        // The collective error that caused the failure may be wrapped (an AggregateException, a training error).
        var collective = exception as CollectiveException ?? exception.InnerException as CollectiveException
            ?? (exception as AggregateException)?.Flatten().InnerExceptions.OfType<CollectiveException>().FirstOrDefault();
        var rank = collective?.Rank
            ?? (int.TryParse(Environment.GetEnvironmentVariable(ClusterVariables.Rank), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : -1);
        var error = new WorkerError(rank, exception.GetType().FullName ?? exception.GetType().Name, exception.Message, DateTimeOffset.UtcNow, collective?.FaultyRank);
        try
        {
            // Written aside and moved into place, so the launcher never reads half a file.
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(error, Json));
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads an error file; null when there is none or it cannot be read (a worker killed mid-write).</summary>
    internal static WorkerError? Read(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<WorkerError>(File.ReadAllText(path), Json) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>What a failed worker recorded in its <see cref="WorkerErrorFile"/>.</summary>
/// <param name="Rank">The worker's rank.</param>
/// <param name="ExceptionType">The exception's type name.</param>
/// <param name="Message">The exception's message.</param>
/// <param name="Timestamp">When it was recorded (UTC).</param>
/// <param name="FaultyRank">The rank the worker blames (the one it waited for), when it knows.</param>
public sealed record WorkerError(int Rank, string ExceptionType, string Message, DateTimeOffset Timestamp, int? FaultyRank);
