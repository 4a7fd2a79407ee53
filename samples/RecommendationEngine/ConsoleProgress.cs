using System.Diagnostics;
using System.Globalization;

namespace RecommendationEngine;

/// <summary>
/// A console progress bar for a step with a known amount of work, redrawn in place on a terminal and
/// printed as a line every few seconds when output is redirected. Thread-safe: workers call <see cref="Add"/>.
/// </summary>
public sealed class ConsoleProgress : IDisposable
{
    private readonly string _label;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private long _done;
    private int _ticks;

    /// <summary>Starts reporting.</summary>
    public ConsoleProgress(string label, long total)
    {
        _label = label;
        _total = Math.Max(1, total);
        _timer = new Timer(_ => Draw(final: false), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    /// <summary>Work done so far.</summary>
    public long Done => Interlocked.Read(ref _done);

    /// <summary>Records finished work.</summary>
    public void Add(long amount) => Interlocked.Add(ref _done, amount);

    /// <summary>Stops reporting and draws the final state.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Draw(final: true);
    }

    private void Draw(bool final)
    {
        var done = Math.Min(Done, _total);
        var fraction = (double)done / _total;
        var text = string.Create(CultureInfo.InvariantCulture, $"  {_label} [{new string('#', (int)(fraction * 30)).PadRight(30)}] {fraction,4:P0} {done:N0}/{_total:N0} {_clock.Elapsed.TotalSeconds:0.0}s");
        lock (_timer)
        {
            if (_interactive)
            {
                Console.Write("\r" + text + (final ? Environment.NewLine : string.Empty));
            }
            else if (final || ++_ticks % 20 == 0)
            {
                Console.WriteLine(text);
            }
        }
    }
}
