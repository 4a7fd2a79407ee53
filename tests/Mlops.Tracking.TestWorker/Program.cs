using System.Globalization;
using Mlops.Tracking;

// A training worker for the multi-process tests: logs to a shared SQLite store and prints "ack <i>" after each
// LogMetric call returns, so the test knows exactly which writes were acknowledged before it kills the process.
// Usage: <db> <experiment name> <worker index> <metric count (0 = until killed)>
var database = args[0];
var experimentName = args[1];
var worker = int.Parse(args[2], CultureInfo.InvariantCulture);
var count = int.Parse(args[3], CultureInfo.InvariantCulture);

using var tracking = new TrackingClient(database);
var experimentId = tracking.GetOrCreateExperiment(experimentName);
using var run = tracking.StartRun($"worker-{worker}", experimentId);
run.LogParam("worker", worker);
Console.Out.WriteLine($"run {run.RunId}");
Console.Out.Flush();
for (var i = 0; count == 0 || i < count; i++)
{
    run.LogMetric("loss", i, step: i);
    if (i % 50 == 0)
    {
        run.LogBatch([new RunMetric("batch", i, i, i), new RunMetric("batch", i + 1, i, i + 1)], [new Param($"p{i}", "v")]);
    }

    Console.Out.WriteLine($"ack {i}");
    Console.Out.Flush();
}
