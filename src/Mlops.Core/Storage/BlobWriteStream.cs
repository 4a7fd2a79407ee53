namespace Mlops.Storage;

/// <summary>
/// A write-only stream whose content becomes visible at its destination only when committed.
/// Disposing it without a successful <see cref="Commit"/> discards everything written, so a crash or
/// an exception half way through a write never leaves a partial blob behind.
/// </summary>
public abstract class BlobWriteStream : Stream
{
    /// <summary>Initializes a new instance.</summary>
    protected BlobWriteStream()
    {
    }

    /// <summary>Whether <see cref="Commit"/> or <see cref="CommitAsync"/> has completed.</summary>
    public bool IsCommitted { get; protected set; }

    /// <summary>Flushes what was written and makes it visible at the destination, atomically.</summary>
    public abstract void Commit(CancellationToken cancellationToken = default);

    /// <inheritdoc cref="Commit"/>
    public abstract Task CommitAsync(CancellationToken cancellationToken = default);

    /// <inheritdoc/>
    public sealed override bool CanRead => false;

    /// <inheritdoc/>
    public sealed override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => !IsCommitted;

    /// <inheritdoc/>
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("Blob write streams are forward-only.");

    /// <inheritdoc/>
    public sealed override void SetLength(long value) => throw new NotSupportedException("Blob write streams are forward-only.");

    /// <inheritdoc/>
    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Blob write streams are write-only.");

    /// <inheritdoc/>
    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException("Blob write streams are forward-only.");
    }
}
