namespace Mlops.Features.Joins;

/// <summary>
/// The key values of one batch in the form a join table compares: one normalised <see cref="long"/> per row
/// for a single integer-like or floating key, otherwise one byte string per row (a string key's own UTF-8
/// bytes, or a composite key's columns encoded one after another). Reused from batch to batch.
/// </summary>
internal sealed class EncodedKeys
{
    private byte[] _bytes = [];
    private byte[] _validity = [];
    private int[] _cursor = [];

    /// <summary>The number of rows.</summary>
    public int Length { get; set; }

    /// <summary>Normalised single keys (<see cref="JoinKeyEncoder.UsesLongs"/>).</summary>
    public long[] Longs { get; private set; } = [];

    /// <summary>Row <c>i</c>'s key is <c>Data[Offsets[i]..Offsets[i + 1]]</c> (byte-string layout).</summary>
    public int[] Offsets { get; private set; } = [];

    /// <summary>The byte strings the offsets point into.</summary>
    public ReadOnlyMemory<byte> Data { get; set; }

    /// <summary>Validity bitmap of the key (a row with any null key column is invalid and never matches); empty when all are valid.</summary>
    public ReadOnlyMemory<byte> Validity { get; set; }

    /// <summary>The bit offset of row 0 in <see cref="Validity"/>.</summary>
    public int ValidityOffset { get; set; }

    public long[] LongBuffer(int length) => Longs.Length >= length ? Longs : Longs = new long[Grow(Longs.Length, length)];

    public int[] OffsetBuffer(int length) => Offsets.Length >= length ? Offsets : Offsets = new int[Grow(Offsets.Length, length)];

    public byte[] ByteBuffer(int length) => _bytes.Length >= length ? _bytes : _bytes = new byte[Grow(_bytes.Length, length)];

    public byte[] ValidityBuffer(int length) => _validity.Length >= length ? _validity : _validity = new byte[Grow(_validity.Length, length)];

    public int[] CursorBuffer(int length) => _cursor.Length >= length ? _cursor : _cursor = new int[Grow(_cursor.Length, length)];

    private static int Grow(int current, int needed) => (int)Math.Min(System.Array.MaxLength, Math.Max(needed, (long)current * 2));
}
