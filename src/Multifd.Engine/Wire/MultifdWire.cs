using System.Buffers.Binary;
using System.Text;

namespace Multifd.Engine.Wire;

/// <summary>
/// The multifd packet header, MultiFDPacketHdr_t (12 bytes, big-endian), and the device-state packet header,
/// MultiFDPacketDeviceState_t (276 bytes): hdr, idstr[256] NUL-terminated, instance_id, next_packet_size.
/// </summary>
public static class MultifdWire
{
    public const uint Magic = 0x11223344;        // MULTIFD_MAGIC
    public const uint Version = 1;               // MULTIFD_VERSION
    public const uint FlagSync = 0x1;            // MULTIFD_FLAG_SYNC
    public const uint CompressionMask = 0x3E;    // MULTIFD_FLAG_COMPRESSION_MASK (NOCOMP = 0)
    public const uint FlagDeviceState = 32 << 1; // MULTIFD_FLAG_DEVICE_STATE = 0x40

    public const int HeaderSize = 12;
    public const int IdstrSize = 256;
    public const int DeviceStateHeaderSize = HeaderSize + IdstrSize + 4 + 4; // 276

    /// <summary>The model's RAM packet: the header, be64 packet_num, and nothing else (no pages are modelled).</summary>
    public const int RamPacketSize = HeaderSize + 8;

    public static void WriteHeader(Span<byte> dst, uint flags, uint magic = Magic, uint version = Version)
    {
        BinaryPrimitives.WriteUInt32BigEndian(dst, magic);
        BinaryPrimitives.WriteUInt32BigEndian(dst[4..], version);
        BinaryPrimitives.WriteUInt32BigEndian(dst[8..], flags);
    }

    /// <summary>multifd_send_fill_packet for a device-state packet (multifd_device_state_send_prepare).</summary>
    /// <param name="nextPacketSize">The next_packet_size to write; null: the payload's length (what QEMU writes). A
    /// hostile source may claim more than it sends.</param>
    public static byte[] EncodeDeviceStatePacket(string idstr, uint instanceId, ReadOnlySpan<byte> payload, uint? nextPacketSize = null)
    {
        var packet = new byte[DeviceStateHeaderSize + payload.Length];
        WriteHeader(packet, FlagDeviceState);
        var idBytes = Encoding.ASCII.GetBytes(idstr);
        // strncpy into idstr[256], then the last byte is forced to NUL.
        idBytes.AsSpan(0, Math.Min(idBytes.Length, IdstrSize - 1)).CopyTo(packet.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(HeaderSize + IdstrSize), instanceId);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(HeaderSize + IdstrSize + 4), nextPacketSize ?? (uint)payload.Length);
        payload.CopyTo(packet.AsSpan(DeviceStateHeaderSize));
        return packet;
    }

    /// <summary>A RAM packet with the SYNC flag (multifd_send_fill_packet with p->flags = MULTIFD_FLAG_SYNC).</summary>
    public static byte[] EncodeRamSyncPacket(ulong packetNum) => EncodeRamPacket(packetNum, FlagSync);

    /// <summary>
    /// multifd_send_fill_packet for a RAM job (flags 0, NOCOMP) or a SYNC (flags SYNC).
    /// Simplification: the model's RAM packet carries no pages, only the header and packet_num.
    /// </summary>
    public static byte[] EncodeRamPacket(ulong packetNum, uint flags)
    {
        var packet = new byte[RamPacketSize];
        WriteHeader(packet, flags);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(HeaderSize), packetNum);
        return packet;
    }

    /// <summary>The packet_num of a RAM packet, from the bytes after its 12-byte header.</summary>
    public static ulong RamPacketNum(ReadOnlySpan<byte> rest) => BinaryPrimitives.ReadUInt64BigEndian(rest);

    /// <summary>
    /// multifd_recv_unfill_packet_header: checks magic and version. Returns null, or QEMU's error text.
    /// </summary>
    public static string? CheckHeader(ReadOnlySpan<byte> header, out uint flags)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        var version = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        flags = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        if (magic != Magic)
        {
            return $"multifd: received packet magic {magic:x}, expected {Magic:x}";
        }

        if (version != Version)
        {
            return $"multifd: received packet version {version}, expected {Version}";
        }

        return null;
    }

    /// <summary>
    /// The rest of a device-state header (after the 12 bytes). As multifd_device_state_recv, idstr counts as
    /// terminated only if its last byte, idstr[255], is NUL; the name then ends at its first NUL.
    /// Returns null, or QEMU's error text.
    /// </summary>
    public static string? ParseDeviceStateHeader(ReadOnlySpan<byte> rest, out string idstr, out uint instanceId,
        out uint nextPacketSize)
    {
        var idField = rest[..IdstrSize];
        instanceId = BinaryPrimitives.ReadUInt32BigEndian(rest[IdstrSize..]);
        nextPacketSize = BinaryPrimitives.ReadUInt32BigEndian(rest[(IdstrSize + 4)..]);
        if (idField[IdstrSize - 1] != 0)
        {
            idstr = "";
            return "unterminated multifd device state idstr";
        }

        idstr = Encoding.ASCII.GetString(idField[..idField.IndexOf((byte)0)]);
        return null;
    }
}
