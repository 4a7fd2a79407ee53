using System.Diagnostics;
using Apache.Arrow;
using Mlops.Storage;
using Parquet;
using Parquet.Schema;

namespace Mlops.Features.Parquet;

/// <summary>
/// Writes a frame as a folder of Parquet part files with an atomic commit. K workers each own one open part
/// file and pull partitions from the frame, appending them as row groups, so different files are encoded on
/// different cores. Everything is written under a hidden sibling folder and published by
/// <see cref="ParquetCommit"/> only when all workers succeeded; any failure deletes it.
/// </summary>
internal sealed class ParquetWriteJob
{
    private readonly Frame _frame;
    private readonly ParquetWriteOptions _options;
    private readonly BlobStore _store;
    private readonly string _temporary;
    private readonly string _jobId;
    private readonly ParquetSchema _schema;
    private readonly ParquetWriteColumn[] _columns;
    private readonly ParquetOptions _parquetOptions;
    private readonly string? _arrowMetadata;
    private readonly string _extension;

    private ParquetWriteJob(Frame frame, ParquetWriteOptions options, BlobStore store, string temporary, string jobId)
    {
        _frame = frame;
        _options = options;
        _store = store;
        _temporary = temporary;
        _jobId = jobId;
        (_schema, _columns) = ParquetSchemaWriter.Map(frame.Schema);
        _arrowMetadata = ParquetArrowMetadata.Encode(frame.Schema);
        _parquetOptions = new ParquetOptions
        {
            CompressionMethod = ToMethod(options.Compression),
            CompressionLevel = options.EffectiveCompressionLevel,
        };
        _extension = options.Compression switch
        {
            ParquetCompression.None => ".parquet",
            ParquetCompression.Snappy => ".snappy.parquet",
            ParquetCompression.Gzip => ".gz.parquet",
            ParquetCompression.Zstd => ".zstd.parquet",
            ParquetCompression.Lz4 => ".lz4raw.parquet",
            _ => ".brotli.parquet",
        };
    }

    public static ParquetWriteResult Run(Frame frame, string path, ParquetWriteOptions? options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new ParquetWriteOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var destination = (options.Resolver ?? frame.Session.Resolver).Resolve(path);
        destination = destination with { Path = destination.Path.TrimEnd('/') };
        if (destination.Path.Length == 0)
        {
            throw new ArgumentException($"Cannot write Parquet to the root of a store ({destination}); name a folder.", nameof(path));
        }

        var commit = new ParquetCommit(destination);
        var exists = commit.DestinationExists();
        if (exists && options.Mode == SaveMode.ErrorIfExists)
        {
            throw new BlobAlreadyExistsException(destination + " (use SaveMode.Overwrite or SaveMode.Append to write there anyway)");
        }

        if (exists && options.Mode == SaveMode.Ignore)
        {
            return new ParquetWriteResult([], 0, 0, clock.Elapsed, Skipped: true);
        }

        var jobId = Guid.NewGuid().ToString("D");
        var temporary = commit.Sibling("._temporary-" + jobId);
        var job = new ParquetWriteJob(frame, options, destination.Store, temporary, jobId);
        try
        {
            var parts = job.WriteParts(ct);
            ct.ThrowIfCancellationRequested();
            var published = commit.Publish(temporary, parts.Select(p => p.Name).ToList(), options.Mode, jobId, ct);
            var bytes = published.Sum(p => destination.Store.GetInfo(p)?.Length ?? 0);
            var files = published.Select(p => destination.Store.Describe(p)).ToList();
            return new ParquetWriteResult(files, parts.Sum(p => p.Rows), bytes, clock.Elapsed);
        }
        finally
        {
            // After a successful publish this finds nothing; after a failure it removes every partial file.
            commit.TryDeletePrefix(temporary);
        }
    }

    /// <summary>Runs the workers and returns the committed part files under the temporary folder.</summary>
    private List<WrittenPart> WriteParts(CancellationToken ct)
    {
        var partitions = _frame.Partitions;
        var degree = _options.DegreeOfParallelism ?? _frame.Session.DegreeOfParallelism;
        var workers = Math.Max(1, Math.Min(degree, partitions.Count));
        var results = new List<WrittenPart>[workers];
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var next = -1;
        Exception? failure = null;

        void Work(int worker)
        {
            var files = new WorkerFiles(this, worker);
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= partitions.Count)
                    {
                        break;
                    }

                    foreach (var batch in partitions[i](cts.Token))
                    {
                        cts.Token.ThrowIfCancellationRequested();
                        if (batch.Length > 0)
                        {
                            CheckSchema(batch, i);
                            files.AppendAsync(batch, cts.Token).GetAwaiter().GetResult();
                        }
                    }
                }

                cts.Token.ThrowIfCancellationRequested();
                results[worker] = files.CompleteAsync(cts.Token).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                cts.Cancel();
                files.AbandonAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        if (workers == 1)
        {
            Work(0);
        }
        else
        {
            var threads = new Task[workers - 1];
            for (var w = 1; w < workers; w++)
            {
                var worker = w;
                threads[w - 1] = Task.Factory.StartNew(() => Work(worker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            Work(0);
            Task.WaitAll(threads);
        }

        if (failure is not null)
        {
            if (failure is OperationCanceledException && ct.IsCancellationRequested)
            {
                throw new OperationCanceledException(ct);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        ct.ThrowIfCancellationRequested();
        var parts = results.SelectMany(r => r).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        if (parts.Count == 0)
        {
            // An empty frame still gets one file, so that reading the folder back yields the schema.
            var empty = new WorkerFiles(this, 0);
            parts.AddRange(empty.CompleteAsync(ct, forceFile: true).GetAwaiter().GetResult());
        }

        return parts;
    }

    private void CheckSchema(RecordBatch batch, int partition)
    {
        if (batch.ColumnCount != _columns.Length)
        {
            throw new SchemaException($"Partition {partition} produced a batch with {batch.ColumnCount} columns; the frame's schema has {_columns.Length}.");
        }
    }

    private static CompressionMethod ToMethod(ParquetCompression compression) => compression switch
    {
        ParquetCompression.None => CompressionMethod.None,
        ParquetCompression.Snappy => CompressionMethod.Snappy,
        ParquetCompression.Gzip => CompressionMethod.Gzip,
        ParquetCompression.Zstd => CompressionMethod.Zstd,
        ParquetCompression.Lz4 => CompressionMethod.Lz4Raw,
        _ => CompressionMethod.Brotli,
    };

    /// <summary>A committed part file: its name relative to the output folder and its row count.</summary>
    internal sealed record WrittenPart(string Name, long Rows);

    /// <summary>The part files of one worker: one open at a time, rolled over at <see cref="ParquetWriteOptions.MaxRowsPerFile"/>.</summary>
    private sealed class WorkerFiles(ParquetWriteJob job, int worker)
    {
        private readonly List<WrittenPart> _done = [];
        private ParquetPartWriter? _current;
        private int _sequence;

        public async Task AppendAsync(RecordBatch batch, CancellationToken ct)
        {
            var offset = 0;
            while (offset < batch.Length)
            {
                _current ??= await OpenAsync(ct).ConfigureAwait(false);
                var room = job._options.MaxRowsPerFile is { } max ? max - _current.Rows : long.MaxValue;
                var take = (int)Math.Min(batch.Length - offset, room);
                await _current.AppendAsync(batch, offset, take, ct).ConfigureAwait(false);
                offset += take;
                if (job._options.MaxRowsPerFile is { } limit && _current.Rows >= limit)
                {
                    await CommitCurrentAsync(ct).ConfigureAwait(false);
                }
            }
        }

        public async Task<List<WrittenPart>> CompleteAsync(CancellationToken ct, bool forceFile = false)
        {
            if (forceFile && _current is null)
            {
                _current = await OpenAsync(ct).ConfigureAwait(false);
            }

            await CommitCurrentAsync(ct).ConfigureAwait(false);
            return _done;
        }

        public async ValueTask AbandonAsync()
        {
            if (_current is not null)
            {
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }
        }

        private async Task CommitCurrentAsync(CancellationToken ct)
        {
            if (_current is null)
            {
                return;
            }

            var current = _current;
            await current.CommitAsync(ct).ConfigureAwait(false);
            _current = null;
            _done.Add(new WrittenPart(current.Path[(job._temporary.Length + 1)..], current.Rows));
        }

        private Task<ParquetPartWriter> OpenAsync(CancellationToken ct)
        {
            // Spark's naming: part-<task>-<job>-c<file>.<codec>.parquet.
            var name = $"part-{worker:D5}-{job._jobId}-c{_sequence++:D3}{job._extension}";
            return ParquetPartWriter.OpenAsync(job._store, job._temporary + "/" + name, job._schema, job._columns, job._parquetOptions, job._options.RowGroupSize, job._arrowMetadata, ct);
        }
    }
}
