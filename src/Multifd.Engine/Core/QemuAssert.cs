namespace Multifd.Engine.Core;

/// <summary>QEMU's assert(): a failed assertion aborts the QEMU process.</summary>
public static class QemuAssert
{
    public static void That(bool condition, string message)
    {
        if (!condition)
        {
            throw new QemuAbortException(message);
        }
    }
}

/// <summary>Thrown where QEMU would call abort(): the process (the whole side of the migration) dies.</summary>
public sealed class QemuAbortException(string message) : Exception(message);
