using System.Buffers;
using System.Runtime.InteropServices;

namespace Mlops.Features.Parquet;

/// <summary>
/// Views a byte array as <see cref="Memory{T}"/> of an unmanaged type, so Parquet.Net decodes straight into
/// the array that becomes an Arrow buffer (Arrow wants bytes, Parquet.Net wants typed memory).
/// </summary>
internal sealed class CastMemoryManager<T> : MemoryManager<T>
    where T : unmanaged
{
    private readonly byte[] _bytes;
    private readonly int _length;

    public CastMemoryManager(byte[] bytes, int length)
    {
        _bytes = bytes;
        _length = length;
    }

    public override Span<T> GetSpan() => MemoryMarshal.Cast<byte, T>(_bytes.AsSpan()).Slice(0, _length);

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        // The handle travels in the MemoryHandle, which frees it when disposed.
        var handle = GCHandle.Alloc(_bytes, GCHandleType.Pinned);
        var start = (byte*)handle.AddrOfPinnedObject() + (elementIndex * sizeof(T));
        return new MemoryHandle(start, handle);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
