using System.ComponentModel.DataAnnotations;

namespace Mlops.Storage;

/// <summary>How remote blobs are moved in pieces: block and chunk sizes, parallelism and copy timeouts.</summary>
public sealed class BlobTransferOptions
{
    /// <summary>The size of each block staged by a write stream. Default 4 MiB; between 64 KiB and 256 MiB.</summary>
    /// <remarks>Each write stream holds one block in memory, plus one per upload in flight.</remarks>
    [Range(64 * 1024, 256 * 1024 * 1024)]
    public int BlockSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many blocks an asynchronous write stages at once. Default 4; 1 stages them one by one.</summary>
    [Range(1, 64)]
    public int MaxConcurrentBlockUploads { get; set; } = 4;

    /// <summary>The size of each ranged download a read stream makes. Default 4 MiB; between 4 KiB and 256 MiB.</summary>
    [Range(4 * 1024, 256 * 1024 * 1024)]
    public int ReadChunkSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many blobs a prefix operation (delete, move) handles at once. Default 8.</summary>
    [Range(1, 64)]
    public int MaxConcurrentBlobOperations { get; set; } = 8;

    /// <summary>How long a move waits for one server-side copy to complete before failing. Default 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CopyTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a move polls the state of a pending server-side copy. Default 500 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan CopyPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
