using Multifd.Engine.Core;
using Multifd.Engine.Ports;

namespace Multifd.Engine.Source;

/// <summary>
/// migration/multifd-device-state.c: the queue of device-state jobs into multifd (queue_job_mutex and the
/// shared send_data slot) and the pool of per-device save threads with its abort flag.
/// </summary>
public sealed class MultifdDeviceState
{
    private readonly QemuProcess qemu;
    private readonly MultifdSend multifdSend;
    private readonly QemuMutex queueJobMutex;
    private readonly QemuThreadPool threads;
    private MultifdSendData? sendData; // protected by queueJobMutex
    private int threadsAbort; // atomic
    private bool spawning = true;

    public MultifdDeviceState(QemuProcess qemu, MultifdSend multifdSend)
    {
        this.qemu = qemu;
        this.multifdSend = multifdSend;
        queueJobMutex = qemu.NewMutex("queue_job_mutex");
        threads = new QemuThreadPool("multifd_send_device_state.threads", qemu);
    }

    /// <summary>
    /// multifd_queue_device_state: copies the packet into the shared slot and hands it to multifd_send,
    /// holding queue_job_mutex throughout (device-state producers are serialized).
    /// </summary>
    public bool QueueDeviceState(string idstr, uint instanceId, ReadOnlySpan<byte> data, string device, uint idx, bool isConfig)
    {
        using (queueJobMutex.Locked())
        {
            QemuAssert.That(sendData is null, "multifd_queue_device_state: send_data slot not empty");
            sendData = new DeviceStatePayload(idstr, instanceId, data.ToArray(), device, idx, isConfig);
            qemu.Trace(new DeviceStateQueued(device, idx, isConfig ? 1u : 0u, data.Length - 12));
            if (!multifdSend.Send(ref sendData))
            {
                qemu.Site("dev.queue-failed");
                sendData = null;
                return false;
            }

            return true;
        }
    }

    /// <summary>multifd_device_state_save_thread_should_exit().</summary>
    public bool SaveThreadShouldExit => Volatile.Read(ref threadsAbort) != 0;

    /// <summary>multifd_spawn_device_state_save_thread: the wrapper records a failure with migrate_set_error
    /// and deliberately does not set threads_abort (other threads may still be being spawned).</summary>
    public void SpawnSaveThread(string threadName, Func<(string Message, ErrorKind Kind)?> handler)
    {
        QemuAssert.That(!SaveThreadShouldExit, "spawning a save thread after threads_abort was set");
        threads.SubmitImmediate(threadName, () =>
        {
            if (handler() is { } error)
            {
                qemu.Site("dev.save-thread-error");
                qemu.SetError(error.Message, error.Kind);
            }
        });
    }

    /// <summary>The migration thread has spawned every save thread.</summary>
    public void SpawningDone() => spawning = false;

    /// <summary>multifd_abort_device_state_save_threads: only the migration thread sets threads_abort.</summary>
    public void AbortSaveThreads()
    {
        qemu.Site("dev.abort-save-threads");
        Volatile.Write(ref threadsAbort, 1);
        qemu.Trace(new ThreadsAbortSet(AllSpawned: !spawning));
    }

    /// <summary>multifd_join_device_state_save_threads: thread_pool_wait, then !migrate_has_error().</summary>
    public bool JoinSaveThreads()
    {
        threads.Wait();
        var ok = !qemu.HasError;
        qemu.Trace(new SaveThreadsJoined(ok));
        return ok;
    }

    /// <summary>multifd_device_state_send_cleanup: frees the pool (waits for it).</summary>
    public void Cleanup() => threads.Free();
}
