using System.Globalization;
using System.Text.RegularExpressions;

namespace Multifd.Engine;

/// <summary>
/// A versioned machine type (`-machine virt-10.0`, `pc-q35-9.2`, ...). A machine type of version X.Y applies the
/// compat properties of every hw_compat_A_B array (hw/core/machine.c) with A.B >= X.Y: virt_machine_10_0_options
/// adds hw_compat_10_0 on top of what virt_machine_10_1_options added, and so on down (hw/arm/virt.c,
/// hw/i386/pc_q35.c). The latest machine type (and the unversioned aliases) applies none.
/// </summary>
/// <param name="Name">The name as given, e.g. "virt-10.0".</param>
/// <param name="Family">"virt", "pc-q35", "pc-i440fx", "s390-ccw-virtio" or "pseries".</param>
/// <param name="Version">The machine version, or null for the latest (no compat properties).</param>
public sealed partial record MachineType(string Name, string Family, Version? Version)
{
    /// <summary>The newest machine version of QEMU master (ece408818d): DEFINE_VIRT_MACHINE_AS_LATEST(11, 0).</summary>
    public static readonly Version LatestVersion = new(11, 0);

    /// <summary>Machine families of the modelled platforms, and their unversioned aliases.</summary>
    private static readonly (string Family, string Alias, Platform[] Platforms)[] Families =
    [
        ("virt", "virt", [Platform.Aarch64, Platform.Arm]),
        ("pc-q35", "q35", [Platform.X86_64]),
        ("pc-i440fx", "pc", [Platform.X86_64]),
        ("s390-ccw-virtio", "s390-ccw-virtio", [Platform.S390x]),
        ("pseries", "pseries", [Platform.Ppc64]),
    ];

    /// <summary>The machine families a scenario may name, for error messages.</summary>
    public static string KnownFamilies => string.Join(", ", Families.Select(f => $"{f.Family}-X.Y"));

    /// <summary>Whether the target has this machine family (virt is ARM's, pc-q35 x86's, ...).</summary>
    public bool RunsOn(Platform platform) => Families.Any(f => f.Family == Family && f.Platforms.Contains(platform));

    /// <summary>The compat properties this machine type applies (none for the latest).</summary>
    public IReadOnlyList<CompatProperty> CompatProperties =>
        Version is null ? [] : HwCompat.Arrays.Where(a => Version <= a.Release).SelectMany(a => a.Properties).ToList();

    /// <summary>Parses "virt-10.0", "pc-q35-9.2", "q35", ...; returns null with the problem if the name is not one.</summary>
    public static MachineType? Parse(string name, out string? problem)
    {
        problem = null;
        foreach (var (family, alias, _) in Families)
        {
            if (name == alias || name == family)
            {
                return new MachineType(name, family, null);
            }
        }

        var m = VersionedName().Match(name);
        var known = m.Success ? Families.FirstOrDefault(f => f.Family == m.Groups[1].Value) : default;
        if (!m.Success || known.Family is null)
        {
            problem = $"unknown machine type \"{name}\" (known: {KnownFamilies}, or an alias: {string.Join(", ", Families.Select(f => f.Alias).Distinct())})";
            return null;
        }

        var version = new Version(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        if (version > LatestVersion)
        {
            problem = $"machine type \"{name}\" is newer than QEMU's latest ({known.Family}-{LatestVersion})";
            return null;
        }

        return new MachineType(name, known.Family, version == LatestVersion ? null : version);
    }

    [GeneratedRegex(@"^([a-z0-9-]+?)-(\d+)\.(\d+)$")]
    private static partial Regex VersionedName();

    public override string ToString() => Name;
}

/// <summary>One GlobalProperty of a hw_compat array: { driver, property, value }.</summary>
/// <param name="Array">The array it comes from, e.g. "hw_compat_10_0".</param>
public sealed record CompatProperty(string Array, string Driver, string Property, string Value);

/// <summary>
/// The entries of QEMU's hw_compat arrays (hw/core/machine.c) on the modelled path; the others (scsi-hd, ramfb,
/// virtio, TLS termination, ...) touch nothing the model has.
/// </summary>
public static class HwCompat
{
    /// <summary>Each array with the release it keeps behaving like: applied by machine types up to that version.</summary>
    public static readonly IReadOnlyList<(Version Release, IReadOnlyList<CompatProperty> Properties)> Arrays =
    [
        (new Version(10, 0), [new("hw_compat_10_0", "vfio-pci", "x-migration-load-config-after-iter", "off")]),
        (new Version(9, 2),
        [
            new("hw_compat_9_2", "migration", "send-switchover-start", "off"),
            new("hw_compat_9_2", "vfio-pci", "x-migration-multifd-transfer", "off"),
        ]),
    ];

    /// <summary>
    /// A vfio-pci OnOffAuto property as QEMU ends up with it: the value set on -device (set after the object is
    /// created), else the machine's compat property (object_apply_compat_props from device_post_init), else the
    /// class default AUTO.
    /// </summary>
    public static OnOffAuto VfioPci(MachineType? machine, string property, OnOffAuto? device) =>
        device ?? (Find(machine, "vfio-pci", property) is { } v ? ParseOnOffAuto(v) : OnOffAuto.Auto);

    /// <summary>A bool property of the migration object: an explicit setting, else the machine's compat property, else the default.</summary>
    public static bool Migration(MachineType? machine, string property, bool? setting, bool classDefault) =>
        setting ?? (Find(machine, "migration", property) is { } v ? v is "on" or "true" : classDefault);

    private static string? Find(MachineType? machine, string driver, string property) =>
        machine?.CompatProperties.LastOrDefault(p => p.Driver == driver && p.Property == property)?.Value;

    private static OnOffAuto ParseOnOffAuto(string value) => value switch
    {
        "on" => OnOffAuto.On,
        "off" => OnOffAuto.Off,
        _ => OnOffAuto.Auto,
    };
}
