using System.Runtime.CompilerServices;

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

    /// <summary>
    /// The same with an interpolated message, formatted only if the assertion fails: the asserts on every lock and
    /// cond operation cost no string when they hold.
    /// </summary>
    public static void That(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            throw new QemuAbortException(message.ToStringAndClear());
        }
    }
}

/// <summary>Builds an assertion's message only when the assertion failed.</summary>
[InterpolatedStringHandler]
public ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler inner;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => inner.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => inner.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => inner.AppendFormatted(value, format);

    public string ToStringAndClear() => inner.ToStringAndClear();
}

/// <summary>Thrown where QEMU would call abort(): the process (the whole side of the migration) dies.</summary>
public sealed class QemuAbortException(string message) : Exception(message);
