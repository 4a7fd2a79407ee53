using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Mlops.Pipelines;

/// <summary>
/// Runs an external process: standard output and error go line by line into the attempt's log, the exit code
/// decides success, skip (<see cref="ProcessTaskOptions.SkipExitCode"/>) or failure, and on timeout or cancellation
/// the whole process tree is killed.
/// </summary>
public sealed class ProcessOperator : TaskOperator
{
    /// <summary>Creates the operator.</summary>
    /// <param name="options">The process to run.</param>
    public ProcessOperator(ProcessTaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FileName, nameof(options));
        Options = options;
    }

    /// <summary>The process to run.</summary>
    public ProcessTaskOptions Options { get; }

    /// <inheritdoc/>
    public override string Kind => "process";

    /// <inheritdoc/>
    public override async Task<object?> ExecuteAsync(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var start = new ProcessStartInfo(Options.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Options.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in Options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in Options.Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // A failed start is a failed try like a non-zero exit: the task's retries apply (the program may be deployed late).
            throw new InvalidOperationException($"Could not start '{Options.FileName}': {e.Message}", e);
        }

        context.Logger.LogInformation("Started process {ProcessId}: {FileName} {Arguments}", process.Id, Options.FileName, string.Join(' ', Options.Arguments));
        process.StandardInput.Close();

        // Lines are kept up to the XCom limit (a longer one could not be pushed), so a huge line costs no more memory.
        var outputLock = new object();
        var maxLineChars = context.MaxXcomBytes;
        var stdout = new ProcessOutputReader(process.StandardOutput, maxLineChars, line =>
        {
            lock (outputLock)
            {
                context.Logger.LogInformation("{Line}", line);
            }
        });
        var stderr = new ProcessOutputReader(process.StandardError, maxLineChars, line =>
        {
            lock (outputLock)
            {
                context.Logger.LogWarning("{Line}", line);
            }
        });
        var reading = Task.WhenAll(stdout.ReadToEndAsync(), stderr.ReadToEndAsync());
        try
        {
            await process.WaitForExitAsync(context.CancellationToken).ConfigureAwait(false);
            await reading.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process, context);
            throw;
        }

        var code = process.ExitCode;
        if (Options.SuccessExitCodes.Contains(code))
        {
            return Options.PushLastLine ? LastLineToPush(stdout, context) : null;
        }

        if (Options.SkipExitCode == code)
        {
            throw new TaskSkipException($"'{Options.FileName}' exited with code {code}, which skips the task.");
        }

        throw new InvalidOperationException($"'{Options.FileName}' exited with code {code}; success is {string.Join(" or ", Options.SuccessExitCodes.Order())}.");
    }

    private static string? LastLineToPush(ProcessOutputReader stdout, TaskContext context)
    {
        if (stdout.LastLine is not { } line)
        {
            return null;
        }

        var jsonBytes = stdout.LastLineLength > line.Length ? long.MaxValue : System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(line).Length;
        if (jsonBytes <= context.MaxXcomBytes)
        {
            return line;
        }

        // The process succeeded; a result too large for XCom does not make it fail (as a task that pushes nothing).
        context.Logger.LogWarning(
            "The last line of standard output ({Length:N0} characters) is over the XCom limit of {MaxXcomBytes:N0} bytes of JSON (ExecutorOptions.MaxXcomBytes), so it is not pushed and the task has no return value; "
            + "write a large result to storage and print its location, or set PushLastLine = false.",
            stdout.LastLineLength,
            context.MaxXcomBytes);
        return null;
    }

    private void Kill(Process process, TaskContext context)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            if (!process.WaitForExit(Options.KillTimeout))
            {
                context.Logger.LogError("Process {ProcessId} did not exit within {KillTimeout} after being killed.", process.Id, Options.KillTimeout);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
