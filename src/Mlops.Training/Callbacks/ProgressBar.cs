using System.Globalization;
using System.Text;

namespace Mlops.Training.Callbacks;

/// <summary>
/// Keras' progress bar on the chief: "Epoch 3/10", then <c>120/200 [=========&gt;.......] - ETA: 2s - loss: 0.6931 -
/// accuracy: 0.5000 - 51234 samples/s</c> redrawn at most every <c>interval</c> (the loss and metrics are read from the
/// device only then), and a final line per epoch with the time, the time per step and the validation results. With
/// <see cref="Verbosity.OneLinePerEpoch"/> (what <see cref="Verbosity.Auto"/> picks when output is redirected) only the
/// final line is printed. Plain ASCII. <c>Fit</c> adds one unless <c>verbose</c> is <see cref="Verbosity.Silent"/>;
/// replicas other than the chief print nothing.
/// </summary>
public sealed class ProgressBar : Callback
{
    private const int Width = 30;
    private readonly bool _bar;
    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private long _epochStart;
    private long _lastDraw;
    private long _steps;
    private int _lastLength;

    /// <summary>Creates the progress bar.</summary>
    /// <param name="verbose">
    /// <see cref="Verbosity.ProgressBar"/> (a bar, for a terminal), <see cref="Verbosity.OneLinePerEpoch"/>, or
    /// <see cref="Verbosity.Auto"/>: the bar unless standard output is redirected.
    /// </param>
    /// <param name="output">Where to write; standard output when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="interval">The least time between redraws of the bar (Keras: 0.05 s); 0.1 s when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="verbose"/> is <see cref="Verbosity.Silent"/> (leave the progress bar out instead) or not a <see cref="Verbosity"/>.</exception>
    public ProgressBar(Verbosity verbose = Verbosity.Auto, TextWriter? output = null, TimeProvider? timeProvider = null, TimeSpan? interval = null)
    {
        _bar = verbose switch
        {
            Verbosity.ProgressBar => true,
            Verbosity.OneLinePerEpoch => false,
            Verbosity.Auto => !Console.IsOutputRedirected,
            _ => throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "A ProgressBar shows Auto, ProgressBar or OneLinePerEpoch; for Silent, leave it out."),
        };
        _output = output ?? Console.Out;
        _time = timeProvider ?? TimeProvider.System;
        _interval = interval ?? TimeSpan.FromSeconds(0.1);
    }

    private bool Active => Model.IsChief;

    /// <inheritdoc />
    public override void OnEpochBegin(int epoch, TrainingLogs logs)
    {
        if (!Active)
        {
            return;
        }

        _epochStart = _time.GetTimestamp();
        _lastDraw = _epochStart;
        _steps = 0;
        _lastLength = 0;
        if (_bar)
        {
            _output.WriteLine($"Epoch {epoch + 1}/{Parameters.Epochs}");
        }
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(long batch, TrainingLogs logs)
    {
        if (!Active)
        {
            return;
        }

        _steps = batch + 1;
        if (!_bar)
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastDraw, now) < _interval)
        {
            return;
        }

        _lastDraw = now;
        var elapsed = _time.GetElapsedTime(_epochStart, now);
        var line = new StringBuilder();
        line.Append(Counter()).Append(' ').Append(Bar());
        if (Parameters.StepsPerEpoch is { } total && _steps > 0)
        {
            var remaining = elapsed.TotalSeconds / _steps * (total - _steps);
            line.Append(" - ETA: ").Append(Seconds(remaining));
        }

        AppendLogs(line, logs);
        AppendSpeed(line, elapsed);
        Redraw(line.ToString());
    }

    /// <inheritdoc />
    public override void OnEpochEnd(int epoch, TrainingLogs logs)
    {
        if (!Active)
        {
            return;
        }

        var elapsed = _time.GetElapsedTime(_epochStart, _time.GetTimestamp());
        var line = new StringBuilder();
        if (!_bar)
        {
            line.Append("Epoch ").Append(epoch + 1).Append('/').Append(Parameters.Epochs).Append(" - ");
        }

        line.Append(Counter());
        if (_bar)
        {
            line.Append(' ').Append(Bar());
        }

        line.Append(" - ").Append(Seconds(elapsed.TotalSeconds)).Append(' ');
        var perStep = _steps == 0 ? 0 : elapsed.TotalMilliseconds / _steps;
        line.Append(perStep.ToString(perStep < 10 ? "0.00" : "0", CultureInfo.InvariantCulture)).Append("ms/step");
        AppendLogs(line, logs);
        AppendSpeed(line, elapsed);
        if (_bar)
        {
            Redraw(line.ToString());
            _output.WriteLine();
        }
        else
        {
            _output.WriteLine(line.ToString());
        }

        _output.Flush();
    }

    private string Counter()
    {
        var total = Parameters.StepsPerEpoch?.ToString(CultureInfo.InvariantCulture) ?? "Unknown";
        return $"{_steps.ToString(CultureInfo.InvariantCulture).PadLeft(total.Length)}/{total}";
    }

    private string Bar()
    {
        if (Parameters.StepsPerEpoch is not { } total || total <= 0)
        {
            return string.Empty;
        }

        var done = (int)Math.Min(Width, _steps * Width / total);
        var bar = new StringBuilder("[");
        bar.Append('=', done);
        if (done < Width)
        {
            bar.Append('>').Append('.', Width - done - 1);
        }

        return bar.Append(']').ToString();
    }

    private static void AppendLogs(StringBuilder line, TrainingLogs logs)
    {
        foreach (var (name, value) in logs)
        {
            line.Append(" - ").Append(name).Append(": ").Append(Format(value));
        }
    }

    private void AppendSpeed(StringBuilder line, TimeSpan elapsed)
    {
        if (elapsed > TimeSpan.Zero && Parameters.GlobalBatchSize > 0)
        {
            var samples = _steps * (double)Parameters.GlobalBatchSize / elapsed.TotalSeconds;
            line.Append(" - ").Append(samples.ToString("0", CultureInfo.InvariantCulture)).Append(" samples/s");
        }
    }

    private void Redraw(string text)
    {
        // Carriage return and padding overwrite the previous, possibly longer, line.
        _output.Write('\r');
        _output.Write(text.PadRight(_lastLength));
        _lastLength = text.Length;
        _output.Flush();
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 1e-3 || value == 0 ? value.ToString("0.0000", CultureInfo.InvariantCulture) : value.ToString("0.0000e+0", CultureInfo.InvariantCulture);

    private static string Seconds(double seconds) => seconds < 60
        ? $"{Math.Round(seconds).ToString(CultureInfo.InvariantCulture)}s"
        : $"{((int)seconds / 60).ToString(CultureInfo.InvariantCulture)}m {((int)seconds % 60).ToString(CultureInfo.InvariantCulture)}s";
}
