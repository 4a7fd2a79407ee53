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
        string? lastLine = null;
        var outputLock = new object();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (outputLock)
            {
                context.Logger.LogInformation("{Line}", e.Data);
                if (!string.IsNullOrWhiteSpace(e.Data))
                {
                    lastLine = e.Data;
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (outputLock)
                {
                    context.Logger.LogWarning("{Line}", e.Data);
                }
            }
        };

        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new TaskFailException($"Could not start '{Options.FileName}': {e.Message}", e);
        }

        context.Logger.LogInformation("Started process {ProcessId}: {FileName} {Arguments}", process.Id, Options.FileName, string.Join(' ', Options.Arguments));
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process, context);
            throw;
        }

        // WaitForExitAsync returns after the output streams reached their end, so lastLine is complete here.
        var code = process.ExitCode;
        if (Options.SuccessExitCodes.Contains(code))
        {
            return Options.PushLastLine ? lastLine : null;
        }

        if (Options.SkipExitCode == code)
        {
            throw new TaskSkipException($"'{Options.FileName}' exited with code {code}, which skips the task.");
        }

        throw new InvalidOperationException($"'{Options.FileName}' exited with code {code}; success is {string.Join(" or ", Options.SuccessExitCodes.Order())}.");
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
