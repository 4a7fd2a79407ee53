namespace Mlops.Storage;

/// <summary>Properties of one blob in a <see cref="BlobStore"/>.</summary>
/// <param name="Path">The blob's path relative to the store root ('/'-separated).</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="LastModified">When it was last written.</param>
public sealed record BlobInfo(string Path, long Length, DateTimeOffset LastModified);
