using System.Runtime.CompilerServices;

namespace Mlops.Arrow;

/// <summary>A growable little-endian validity (or boolean) bitmap in Arrow's layout.</summary>
internal struct BitmapBuilder
{
    private byte[] _bytes;

    public BitmapBuilder(int capacity) => _bytes = new byte[Math.Max(8, (capacity + 7) >> 3)];

    public int Length { get; private set; }

    public int SetCount { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Append(bool value)
    {
        if ((Length >> 3) >= _bytes.Length)
        {
            Array.Resize(ref _bytes, _bytes.Length * 2);
        }

        if (value)
        {
            _bytes[Length >> 3] |= (byte)(1 << (Length & 7));
            SetCount++;
        }

        Length++;
    }

    public void AppendMany(bool value, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Append(value);
        }
    }

    /// <summary>Returns the bitmap as a buffer of exactly the needed size; the builder must not be used afterwards.</summary>
    public readonly Apache.Arrow.ArrowBuffer Build()
    {
        var needed = (Length + 7) >> 3;
        var bytes = _bytes;
        if (bytes.Length != needed)
        {
            Array.Resize(ref bytes, needed);
        }

        return new Apache.Arrow.ArrowBuffer(bytes);
    }
}
