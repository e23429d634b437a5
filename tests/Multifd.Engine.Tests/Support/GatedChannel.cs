using Multifd.Engine.Ports;

namespace Multifd.Engine.Tests.Support;

/// <summary>
/// A channel whose writes wait for the test: each write blocks until <see cref="Release"/>, then returns the result
/// the test gave (0 passes the bytes on to the inner channel, a negative errno fails the write).
/// </summary>
public sealed class GatedChannel(IMigrationChannel inner) : IMigrationChannel
{
    private readonly SemaphoreSlim gate = new(0);
    private readonly Queue<int> results = new();
    private readonly object sync = new();

    public string Name => inner.Name;

    /// <summary>Lets one blocked (or the next) write finish with <paramref name="result"/>.</summary>
    public void Release(int result = 0)
    {
        lock (sync)
        {
            results.Enqueue(result);
        }

        gate.Release();
    }

    public int Write(ReadOnlySpan<byte> bytes)
    {
        gate.Wait();
        int result;
        lock (sync)
        {
            result = results.Dequeue();
        }

        return result < 0 ? result : inner.Write(bytes);
    }

    public int WriteZeroCopy(byte[] buffer) => Write(buffer);

    public int Read(Span<byte> buffer) => inner.Read(buffer);

    public int ReadNonBlocking(Span<byte> buffer) => inner.ReadNonBlocking(buffer);

    public void CloseWrite() => inner.CloseWrite();

    public void Shutdown() => inner.Shutdown();
}
