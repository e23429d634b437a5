using System.Buffers.Binary;

namespace Multifd.Engine.Wire;

/// <summary>Byte order of a QEMU host (the VFIO packet header was host-endian before it became big-endian).</summary>
public enum ByteOrder
{
    BigEndian,
    LittleEndian,
}

/// <summary>
/// VFIODeviceStatePacket: the 12-byte header {version, idx, flags} then the data. All fields big-endian
/// (host order before the fix; see the host-endian-header variant).
/// </summary>
public static class VfioDeviceStatePacket
{
    public const int HeaderSize = 12;
    public const uint VersionCurrent = 0;  // VFIO_DEVICE_STATE_PACKET_VER_CURRENT
    public const uint FlagConfigState = 1; // VFIO_DEVICE_STATE_CONFIG_STATE
    public const uint InvalidIdx = uint.MaxValue;

    public static byte[] Encode(uint idx, uint flags, ReadOnlySpan<byte> data, ByteOrder order = ByteOrder.BigEndian,
        uint version = VersionCurrent)
    {
        var packet = new byte[HeaderSize + data.Length];
        Put(packet, version, order);
        Put(packet.AsSpan(4), idx, order);
        Put(packet.AsSpan(8), flags, order);
        data.CopyTo(packet.AsSpan(HeaderSize));
        return packet;
    }

    public static uint Get(ReadOnlySpan<byte> src, ByteOrder order) =>
        order == ByteOrder.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(src) : BinaryPrimitives.ReadUInt32LittleEndian(src);

    private static void Put(Span<byte> dst, uint value, ByteOrder order)
    {
        if (order == ByteOrder.BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(dst, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(dst, value);
        }
    }
}
