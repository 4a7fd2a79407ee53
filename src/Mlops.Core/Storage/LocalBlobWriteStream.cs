namespace Mlops.Storage;

/// <summary>Writes to a hidden temporary file and renames it over the destination on commit.</summary>
internal sealed class LocalBlobWriteStream : BlobWriteStream
{
    private const string TemporaryMarker = ".mlops-tmp-";
    private readonly string _destination;
    private readonly string _temporary;
    private readonly bool _overwrite;
    private readonly FileStream _file;
    private bool _disposed;

    public LocalBlobWriteStream(string destination, bool overwrite)
    {
        _destination = destination;
        _overwrite = overwrite;
        var folder = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(folder);
        if (!overwrite && File.Exists(destination))
        {
            throw new BlobAlreadyExistsException(destination);
        }

        _temporary = Path.Combine(folder, "." + Path.GetFileName(destination) + TemporaryMarker + Guid.NewGuid().ToString("N"));
        _file = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
    }

    public override long Length => _file.Length;

    /// <summary>Whether a relative path names an uncommitted temporary file, which listings hide.</summary>
    public static bool IsTemporary(string relativePath) => relativePath.Contains(TemporaryMarker, StringComparison.Ordinal);

    public override void Flush() => _file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _file.FlushAsync(cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureWritable();
        _file.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        return _file.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value)
    {
        EnsureWritable();
        _file.WriteByte(value);
    }

    public override void Commit(CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        cancellationToken.ThrowIfCancellationRequested();

        // Flush to the device before the rename so an acknowledged write survives a crash.
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        Publish();
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        cancellationToken.ThrowIfCancellationRequested();
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        await _file.DisposeAsync().ConfigureAwait(false);
        Publish();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _file.Dispose();
            if (!IsCommitted)
            {
                TryDelete(_temporary);
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _file.DisposeAsync().ConfigureAwait(false);
            if (!IsCommitted)
            {
                TryDelete(_temporary);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file is hidden from listings and harmless.
        }
    }

    private void Publish()
    {
        try
        {
            // rename(2) replaces the destination atomically; without overwrite, File.Move refuses to replace.
            File.Move(_temporary, _destination, _overwrite);
        }
        catch (IOException e) when (!_overwrite && File.Exists(_destination))
        {
            TryDelete(_temporary);
            throw new BlobAlreadyExistsException(_destination, e);
        }

        IsCommitted = true;
    }

    private void EnsureWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsCommitted)
        {
            throw new InvalidOperationException($"The write to '{_destination}' was already committed.");
        }
    }
}
