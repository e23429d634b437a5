namespace Multifd.Engine.Tests;

/// <summary>
/// Machine types and QEMU's compat properties on this path (hw/core/machine.c): hw_compat_10_0 turns
/// x-migration-load-config-after-iter off, hw_compat_9_2 turns send-switchover-start (migration object) and
/// x-migration-multifd-transfer off. A machine type X.Y applies every array of a release >= X.Y; a property set on
/// -device (or -global) wins over the machine's compat property, which wins over the class default.
/// </summary>
public class MachineTypeTests
{
    private const string AfterIter = "x-migration-load-config-after-iter";
    private const string MultifdTransfer = "x-migration-multifd-transfer";

    private static MachineType Machine(string name) => MachineType.Parse(name, out var problem) ?? throw new InvalidOperationException(problem);

    [Theory]
    [InlineData("virt-10.0", "virt", 10, 0)]
    [InlineData("pc-q35-9.2", "pc-q35", 9, 2)]
    [InlineData("pc-i440fx-10.1", "pc-i440fx", 10, 1)]
    [InlineData("s390-ccw-virtio-10.0", "s390-ccw-virtio", 10, 0)]
    [InlineData("pseries-9.2", "pseries", 9, 2)]
    public void ParsesVersionedNames(string name, string family, int major, int minor)
    {
        var m = Machine(name);
        Assert.Equal((family, new Version(major, minor)), (m.Family, m.Version));
    }

    [Theory]
    [InlineData("virt")]
    [InlineData("q35")]
    [InlineData("pc")]
    [InlineData("virt-11.0")]
    public void TheLatestAndTheAliasesApplyNoCompatProperty(string name)
    {
        var m = Machine(name);
        Assert.Null(m.Version);
        Assert.Empty(m.CompatProperties);
    }

    [Fact]
    public void Ten0AppliesOnlyHwCompat10_0AndNewerArraysApplyNothingHere()
    {
        Assert.Empty(Machine("virt-10.1").CompatProperties);
        var compat = Assert.Single(Machine("virt-10.0").CompatProperties);
        Assert.Equal(new CompatProperty("hw_compat_10_0", "vfio-pci", AfterIter, "off"), compat);
    }

    [Fact]
    public void NineTwoAndOlderAlsoApplyHwCompat9_2()
    {
        foreach (var name in new[] { "pc-q35-9.2", "pc-q35-8.0" })
        {
            var compat = Machine(name).CompatProperties.Select(p => $"{p.Array} {p.Driver}.{p.Property}={p.Value}").ToList();
            Assert.Equal(
            [
                "hw_compat_10_0 vfio-pci.x-migration-load-config-after-iter=off",
                "hw_compat_9_2 migration.send-switchover-start=off",
                "hw_compat_9_2 vfio-pci.x-migration-multifd-transfer=off",
            ], compat);
        }
    }

    [Fact]
    public void ACompatPropertySetsTheDefaultAndAnExplicitDevicePropertyOverridesIt()
    {
        var virt100 = Machine("virt-10.0");
        Assert.Equal(OnOffAuto.Auto, HwCompat.VfioPci(null, AfterIter, null));          // class default
        Assert.Equal(OnOffAuto.Off, HwCompat.VfioPci(virt100, AfterIter, null));        // hw_compat_10_0
        Assert.Equal(OnOffAuto.On, HwCompat.VfioPci(virt100, AfterIter, OnOffAuto.On)); // -device ...,x-migration-load-config-after-iter=on
        Assert.Equal(OnOffAuto.Auto, HwCompat.VfioPci(virt100, AfterIter, OnOffAuto.Auto));
        Assert.Equal(OnOffAuto.Auto, HwCompat.VfioPci(virt100, MultifdTransfer, null)); // 10.0 keeps multifd transfer AUTO

        var q35_92 = Machine("pc-q35-9.2");
        Assert.Equal(OnOffAuto.Off, HwCompat.VfioPci(q35_92, MultifdTransfer, null));
        Assert.Equal(OnOffAuto.On, HwCompat.VfioPci(q35_92, MultifdTransfer, OnOffAuto.On));
        Assert.False(HwCompat.Migration(q35_92, "send-switchover-start", null, classDefault: true));
        Assert.True(HwCompat.Migration(q35_92, "send-switchover-start", true, classDefault: true)); // -global migration.send-switchover-start=on
        Assert.True(HwCompat.Migration(virt100, "send-switchover-start", null, classDefault: true));
    }

    [Fact]
    public void NineTwoDefaultsTurnMultifdDeviceStateOffEvenWithTheMultifdCapability()
    {
        var q35_92 = Machine("pc-q35-9.2");
        var parameters = new MigrationParameters(SendSwitchoverStart: HwCompat.Migration(q35_92, "send-switchover-start", null, true));
        Assert.False(parameters.VfioMultifdTransferSupported);
        Assert.True(parameters.MultifdDeviceStateSupported);
    }

    [Theory]
    [InlineData("sun4m", "unknown machine type")]
    [InlineData("virt-12.0", "newer than QEMU's latest (virt-11.0)")]
    [InlineData("q35-10.0", "unknown machine type")]
    public void RefusesNamesItDoesNotKnow(string name, string problem)
    {
        Assert.Null(MachineType.Parse(name, out var message));
        Assert.Contains(problem, message);
    }

    [Theory]
    [InlineData("virt-10.0", Platform.Aarch64, true)]
    [InlineData("virt-10.0", Platform.Arm, true)]
    [InlineData("virt-10.0", Platform.X86_64, false)]
    [InlineData("pc-q35-10.0", Platform.X86_64, true)]
    [InlineData("pc-q35-10.0", Platform.Aarch64, false)]
    [InlineData("pseries-10.0", Platform.Ppc64, true)]
    public void AMachineFamilyBelongsToItsTarget(string name, Platform platform, bool runs) =>
        Assert.Equal(runs, Machine(name).RunsOn(platform));

    [Theory]
    [InlineData(Platform.Aarch64, true)]
    [InlineData(Platform.Arm, true)]
    [InlineData(Platform.X86_64, false)]
    [InlineData(Platform.S390x, false)]
    [InlineData(Platform.Ppc64, false)]
    public void AfterIterAutoIsOnForEveryArmTarget(Platform platform, bool on)
    {
        Assert.Equal(on, platform.IsBaseArm());
        Assert.Equal(on, platform.WantsConfigAfterIter());
    }
}
