using System.Buffers;
using System.Runtime.InteropServices;
using Apache.Arrow;

namespace Mlops.Features;

/// <summary>
/// Lets an Arrow buffer use a typed managed array as its bytes without copying it, so kernels can compute into a
/// <c>double[]</c> (or <c>int[]</c>, ...) and hand the result to Arrow as is.
/// </summary>
internal sealed class ArrayMemory<T> : MemoryManager<byte>
    where T : unmanaged
{
    private readonly T[] _array;
    private GCHandle _pin;

    private ArrayMemory(T[] array) => _array = array;

    /// <summary>An Arrow buffer over <paramref name="array"/>'s bytes; the array must not change afterwards.</summary>
    public static ArrowBuffer Buffer(T[] array) => new(new ArrayMemory<T>(array).Memory);

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_array.AsSpan());

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_pin.IsAllocated)
        {
            _pin = GCHandle.Alloc(_array, GCHandleType.Pinned);
        }

        unsafe
        {
            return new MemoryHandle((byte*)_pin.AddrOfPinnedObject() + elementIndex, default, this);
        }
    }

    public override void Unpin()
    {
        // Kept pinned until disposed: Arrow pins rarely and briefly, and pin counting is not worth the cost here.
    }

    protected override void Dispose(bool disposing)
    {
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }
}
