using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>
/// What a running task attempt knows: its DAG run (logical date, data interval, params), its try number, a logger
/// whose lines are kept with the attempt, a cancellation token (cancelled on execution timeout and shutdown), the
/// clock, and the values of other tasks in the run (XCom).
/// </summary>
public sealed class TaskContext
{
    private readonly RunXcoms _xcoms;
    private readonly int _maxXcomBytes;
    private List<XcomRecord>? _pushed;

    internal TaskContext(
        DagTask task, DagRunRecord run, IReadOnlyDictionary<string, JsonElement> parameters, int tryNumber, int maxTries,
        int pokeNumber, DateTimeOffset? firstStartDate, ILogger logger, TimeProvider timeProvider, CancellationToken cancellationToken,
        RunXcoms xcoms, int maxXcomBytes)
    {
        Task = task;
        Run = run;
        Params = parameters;
        TryNumber = tryNumber;
        MaxTries = maxTries;
        PokeNumber = pokeNumber;
        FirstStartDate = firstStartDate;
        Logger = logger;
        TimeProvider = timeProvider;
        CancellationToken = cancellationToken;
        _xcoms = xcoms;
        _maxXcomBytes = maxXcomBytes;
    }

    /// <summary>The task being run.</summary>
    public DagTask Task { get; }

    /// <summary>The DAG run.</summary>
    public DagRunRecord Run { get; }

    /// <summary>The DAG's id.</summary>
    public string DagId => Run.DagId;

    /// <summary>The run's id.</summary>
    public string RunId => Run.RunId;

    /// <summary>The task's id.</summary>
    public string TaskId => Task.TaskId;

    /// <summary>The run's logical date (the start of its data interval for a scheduled run).</summary>
    public DateTimeOffset LogicalDate => Run.LogicalDate;

    /// <summary>The period of data the run processes.</summary>
    public DataInterval DataInterval => new(Run.DataIntervalStart, Run.DataIntervalEnd);

    /// <summary>The run's parameters: the DAG's defaults overridden by the run's configuration.</summary>
    public IReadOnlyDictionary<string, JsonElement> Params { get; }

    /// <summary>The attempt's number, from 1.</summary>
    public int TryNumber { get; }

    /// <summary>The number of attempts allowed.</summary>
    public int MaxTries { get; }

    /// <summary>For a sensor, which poke this is within the attempt, from 1; 1 for other tasks.</summary>
    public int PokeNumber { get; }

    /// <summary>When this attempt first started (before any reschedule), if it started before; null on the first execution of the attempt.</summary>
    public DateTimeOffset? FirstStartDate { get; }

    /// <summary>A logger whose lines are stored with this attempt (and also go to the host's logging).</summary>
    public ILogger Logger { get; }

    /// <summary>The clock; use it (not <see cref="DateTime.UtcNow"/>) so tests can drive time.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Cancelled when the attempt times out, the run times out, or the executor shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    internal List<XcomRecord>? Pushed => _pushed;

    /// <summary>The executor's limit on one XCom value's JSON, for operators that decide what to push.</summary>
    internal int MaxXcomBytes => _maxXcomBytes;

    /// <summary>Reads a run parameter.</summary>
    /// <typeparam name="T">The type to read it as.</typeparam>
    /// <param name="name">The parameter's name.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The run has no such parameter.</exception>
    public T? GetParam<T>(string name) => Params.TryGetValue(name, out var value)
        ? value.Deserialize<T>()
        : throw new KeyNotFoundException($"DAG '{DagId}', run '{RunId}': no param '{name}'; params are {string.Join(", ", Params.Keys)}.");

    /// <summary>Reads a value another task of this run pushed (its return value by default).</summary>
    /// <typeparam name="T">The type to read it as (from JSON).</typeparam>
    /// <param name="taskId">The task that pushed it.</param>
    /// <param name="key">The key; <see cref="XcomKeys.ReturnValue"/> by default.</param>
    /// <returns>The value (null only when the pushed JSON is null).</returns>
    /// <exception cref="XcomNotFoundException">The task pushed no value under the key in this run; see <see cref="TryPull{T}"/> for optional values.</exception>
    /// <exception cref="XcomException">The DAG has no such task, or the value is not a <typeparamref name="T"/>.</exception>
    public T? Pull<T>(string taskId, string key = XcomKeys.ReturnValue) => TryPull<T>(taskId, out var value, key)
        ? value
        : throw new XcomNotFoundException(
            $"DAG '{DagId}', run '{RunId}', task '{TaskId}' pulls XCom '{key}' of task '{taskId}', which pushed no such value in this run "
            + "(it has not succeeded, was skipped, or returned null); use TryPull for a value that may be absent.",
            DagId, RunId, TaskId, taskId, key);

    /// <summary>Reads a value another task of this run pushed, if it did.</summary>
    /// <typeparam name="T">The type to read it as (from JSON).</typeparam>
    /// <param name="taskId">The task that pushed it.</param>
    /// <param name="value">The value, when found.</param>
    /// <param name="key">The key; <see cref="XcomKeys.ReturnValue"/> by default.</param>
    /// <returns>Whether the value exists.</returns>
    public bool TryPull<T>(string taskId, [MaybeNullWhen(false)] out T value, string key = XcomKeys.ReturnValue)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(key);
        if (!Task.Dag.TryGetTask(taskId, out _))
        {
            throw new XcomException($"DAG '{DagId}', run '{RunId}', task '{TaskId}' pulls XCom '{key}' from unknown task '{taskId}'.", DagId, RunId, TaskId);
        }

        if (_xcoms.TryGet(taskId, key, out var json))
        {
            value = XcomSerializer.Deserialize<T>(json, DagId, RunId, taskId, key)!;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Pushes a small value for other tasks; it becomes visible when this attempt succeeds.</summary>
    /// <typeparam name="T">The value's type (serialized as JSON).</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; its JSON must fit <c>ExecutorOptions.MaxXcomBytes</c>.</param>
    /// <exception cref="XcomException">The value is too large or cannot be serialized.</exception>
    public void Push<T>(string key, T value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var json = XcomSerializer.Serialize(value, _maxXcomBytes, DagId, RunId, TaskId, key);
        lock (this)
        {
            _pushed ??= [];
            _pushed.RemoveAll(x => x.Key == key);
            _pushed.Add(new XcomRecord(DagId, RunId, TaskId, key, json));
        }
    }

    /// <summary>Ends the attempt as skipped (Airflow's <c>AirflowSkipException</c>).</summary>
    /// <param name="reason">Why; recorded with the attempt.</param>
    [DoesNotReturn]
    public void Skip(string reason) => throw new TaskSkipException(reason);

    /// <summary>Fails the task at once, without retry (Airflow's <c>AirflowFailException</c>).</summary>
    /// <param name="reason">Why; recorded with the attempt.</param>
    [DoesNotReturn]
    public void Fail(string reason) => throw new TaskFailException(reason);
}
