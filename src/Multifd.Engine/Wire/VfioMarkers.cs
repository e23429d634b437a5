namespace Multifd.Engine.Wire;

/// <summary>VFIO's main-channel markers (be64), hw/vfio/vfio-migration-internal.h.</summary>
public static class VfioMarkers
{
    public const ulong EndOfState = 0xffffffffef100001UL;      // VFIO_MIG_FLAG_END_OF_STATE
    public const ulong DevConfigState = 0xffffffffef100002UL;  // VFIO_MIG_FLAG_DEV_CONFIG_STATE
    public const ulong DevSetupState = 0xffffffffef100003UL;   // VFIO_MIG_FLAG_DEV_SETUP_STATE
    public const ulong DevDataState = 0xffffffffef100004UL;    // VFIO_MIG_FLAG_DEV_DATA_STATE
    public const ulong DevInitDataSent = 0xffffffffef100005UL; // VFIO_MIG_FLAG_DEV_INIT_DATA_SENT
    public const ulong DevConfigLoadReady = 0xffffffffef100006UL; // VFIO_MIG_FLAG_DEV_CONFIG_LOAD_READY

    public static string Name(ulong marker) => marker switch
    {
        EndOfState => "END_OF_STATE",
        DevConfigState => "DEV_CONFIG_STATE",
        DevSetupState => "DEV_SETUP_STATE",
        DevDataState => "DEV_DATA_STATE",
        DevInitDataSent => "DEV_INIT_DATA_SENT",
        DevConfigLoadReady => "DEV_CONFIG_LOAD_READY",
        _ => $"0x{marker:x16}",
    };
}

/// <summary>Section and command codes of the main migration stream (migration/savevm.c).</summary>
public static class SavevmCodes
{
    public const byte VmEof = 0x00;          // QEMU_VM_EOF
    public const byte SectionStart = 0x01;   // QEMU_VM_SECTION_START
    public const byte SectionPart = 0x02;    // QEMU_VM_SECTION_PART
    public const byte SectionEnd = 0x03;     // QEMU_VM_SECTION_END
    public const byte SectionFull = 0x04;    // QEMU_VM_SECTION_FULL
    public const byte Command = 0x08;        // QEMU_VM_COMMAND
    public const byte SectionFooter = 0x7e;  // QEMU_VM_SECTION_FOOTER

    public const ushort CmdSwitchoverStart = 11; // MIG_CMD_SWITCHOVER_START

    /// <summary>RAM section flags used by the model (migration/ram.c): the end of a RAM section.</summary>
    public const ulong RamSaveFlagEos = 0x10;
    /// <summary>RAM_SAVE_FLAG_MULTIFD_FLUSH: the destination syncs with every multifd recv thread.</summary>
    public const ulong RamSaveFlagMultifdFlush = 0x200;
}
