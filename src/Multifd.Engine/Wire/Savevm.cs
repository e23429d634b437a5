using System.Text;

namespace Multifd.Engine.Wire;

/// <summary>
/// The framing of the main migration stream (migration/savevm.c): file header, sections with their
/// headers and footers, commands, EOF.
/// Simplification: no configuration section and no vmdesc; version_id is 1 for every SE.
/// </summary>
public static class Savevm
{
    public const uint FileMagic = 0x5145564d;   // QEMU_VM_FILE_MAGIC
    public const uint FileVersion = 0x00000003; // QEMU_VM_FILE_VERSION

    public static void PutHeader(QemuFileWriter f)
    {
        f.PutBe32(FileMagic);
        f.PutBe32(FileVersion);
    }

    /// <summary>save_section_header for QEMU_VM_SECTION_START / FULL: also carries idstr, instance and version.</summary>
    public static void PutSectionStart(QemuFileWriter f, byte type, uint sectionId, string idstr, uint instanceId)
    {
        f.PutByte(type);
        f.PutBe32(sectionId);
        var bytes = Encoding.ASCII.GetBytes(idstr);
        f.PutByte((byte)bytes.Length);
        f.PutBuffer(bytes);
        f.PutBe32(instanceId);
        f.PutBe32(1);
    }

    /// <summary>save_section_header for QEMU_VM_SECTION_PART / END.</summary>
    public static void PutSectionPart(QemuFileWriter f, byte type, uint sectionId)
    {
        f.PutByte(type);
        f.PutBe32(sectionId);
    }

    /// <summary>save_section_footer.</summary>
    public static void PutFooter(QemuFileWriter f, uint sectionId)
    {
        f.PutByte(SavevmCodes.SectionFooter);
        f.PutBe32(sectionId);
    }

    /// <summary>qemu_savevm_command_send (the caller flushes).</summary>
    public static void PutCommand(QemuFileWriter f, ushort command)
    {
        f.PutByte(SavevmCodes.Command);
        f.PutBe16(command);
        f.PutBe16(0);
    }

    /// <summary>Reads the idstr, instance and version of a START/FULL section header.</summary>
    public static (string Idstr, uint InstanceId, uint Version) GetSectionStart(QemuFileReader f)
    {
        var len = f.GetByte();
        var bytes = new byte[len];
        f.GetBuffer(bytes);
        var instance = f.GetBe32();
        var version = f.GetBe32();
        return (Encoding.ASCII.GetString(bytes), instance, version);
    }
}
