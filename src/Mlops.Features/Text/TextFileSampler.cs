using System.Runtime.ExceptionServices;
using Mlops.Storage;

namespace Mlops.Features.Text;

/// <summary>Runs schema inference's per-file sampling on several files at once, failing with the first file's error.</summary>
internal static class TextFileSampler
{
    /// <summary>Applies <paramref name="sample"/> to every file in parallel and returns the results in file order.</summary>
    public static T[] SampleAll<T>(IReadOnlyList<StorageLocation> files, Func<StorageLocation, CancellationToken, T> sample, int degreeOfParallelism, CancellationToken cancellationToken)
    {
        var results = new T[files.Count];
        var errors = new Exception?[files.Count];
        Parallel.For(
            0,
            files.Count,
            new ParallelOptions { MaxDegreeOfParallelism = degreeOfParallelism, CancellationToken = cancellationToken },
            i =>
            {
                try
                {
                    results[i] = sample(files[i], cancellationToken);
                }
                catch (Exception e)
                {
                    errors[i] = e;
                }
            });

        // The lowest-numbered file's error, so that the message does not depend on thread timing.
        if (errors.FirstOrDefault(e => e is not null) is { } first)
        {
            ExceptionDispatchInfo.Capture(first).Throw();
        }

        return results;
    }

    /// <summary>The note added to value errors when the schema was inferred from a sample.</summary>
    public static string? InferenceNote(int samplingRows) => samplingRows == TextReadOptions.AllRows
        ? null
        : $" (the schema was inferred from the first {samplingRows:N0} records of each file; pass a schema or raise SamplingRows)";
}
