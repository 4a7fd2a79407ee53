using System.Buffers.Binary;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// The 32-byte header in front of every piece sent along the ring: the sender's call fingerprint (so the receiver checks
/// it before using the payload), the payload length and the sender's rank. An abort frame carries the failure instead.
/// </summary>
internal readonly record struct RingFrameHeader(RingFrameKind FrameKind, CollectiveCall Call, int PayloadBytes, int SenderRank)
{
    public const int Size = 32;
    private const byte Magic = 0x5A;

    public void Write(Span<byte> destination)
    {
        destination[0] = Magic;
        destination[1] = (byte)FrameKind;
        destination[2] = (byte)Call.Kind;
        destination[3] = (byte)Call.DataType;
        destination[4] = (byte)Call.Op;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], (ushort)Call.Root);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Call.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], Call.Count);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], PayloadBytes);
        BinaryPrimitives.WriteInt32LittleEndian(destination[28..], SenderRank);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out RingFrameHeader header)
    {
        header = default;
        if (source[0] != Magic || source[1] is not ((byte)RingFrameKind.Data or (byte)RingFrameKind.Abort))
        {
            return false;
        }

        var call = new CollectiveCall(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            (CollectiveKind)source[2],
            (CollectiveDataType)source[3],
            (ReduceOp)source[4],
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]));
        header = new RingFrameHeader((RingFrameKind)source[1], call, BinaryPrimitives.ReadInt32LittleEndian(source[24..]), BinaryPrimitives.ReadInt32LittleEndian(source[28..]));
        return header.PayloadBytes >= 0;
    }
}

/// <summary>What a ring frame carries.</summary>
internal enum RingFrameKind : byte
{
    Data = 1,
    Abort = 2,
}
