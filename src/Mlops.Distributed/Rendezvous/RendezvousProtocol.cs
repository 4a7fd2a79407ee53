using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Mlops.Distributed.Rendezvous;

/// <summary>
/// The store's wire format: each message is a little-endian int32 length and a body. A request body starts with an
/// <see cref="RendezvousOp"/> byte, a response body with a <see cref="RendezvousStatus"/> byte.
/// </summary>
internal static class RendezvousProtocol
{
    public const int MaxMessageBytes = 64 << 20;

    /// <summary>The longest wait timers and socket timeouts accept (int.MaxValue ms, about 24 days).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(int.MaxValue);

    public static byte[] Encode(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        stream.Write(stackalloc byte[4]);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            write(writer);
        }

        var bytes = stream.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length - 4);
        return bytes;
    }

    public static void WriteBytes(BinaryWriter writer, byte[]? value)
    {
        writer.Write(value is null ? -1 : value.Length);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    public static byte[]? ReadBytes(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        return length < 0 ? null : reader.ReadBytes(length);
    }

    public static async ValueTask<byte[]?> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (!await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxMessageBytes)
        {
            throw new RendezvousException($"The rendezvous store received a message of {length} bytes; the peer does not speak the store's protocol.");
        }

        var body = new byte[length];
        return await ReadFullyAsync(stream, body, cancellationToken).ConfigureAwait(false) ? body : throw new EndOfStreamException("The connection closed in the middle of a message.");
    }

    public static byte[]? ReadMessage(Socket socket)
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReadFully(socket, header))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxMessageBytes)
        {
            throw new RendezvousException($"The rendezvous store sent a message of {length} bytes; the peer does not speak the store's protocol.");
        }

        var body = new byte[length];
        return ReadFully(socket, body) ? body : throw new EndOfStreamException("The connection closed in the middle of a message.");
    }

    private static async ValueTask<bool> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return read == 0 ? false : throw new EndOfStreamException("The connection closed in the middle of a message.");
            }

            read += n;
        }

        return true;
    }

    private static bool ReadFully(Socket socket, Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = socket.Receive(buffer[read..]);
            if (n == 0)
            {
                return read == 0 ? false : throw new EndOfStreamException("The connection closed in the middle of a message.");
            }

            read += n;
        }

        return true;
    }
}

/// <summary>Store operations.</summary>
internal enum RendezvousOp : byte
{
    Hello = 1,
    Set = 2,
    Get = 3,
    TryGet = 4,
    Wait = 5,
    Add = 6,
    CompareAndSet = 7,
    Delete = 8,
}

/// <summary>Response statuses.</summary>
internal enum RendezvousStatus : byte
{
    Ok = 0,
    Timeout = 1,
    Error = 2,
}
