using Multifd.Engine.Core;
using Multifd.Engine.Ports;
using Multifd.Engine.Wire;

namespace Multifd.Engine.Destination;

/// <summary>
/// VFIOMultifd and its receive side (hw/vfio/migration-multifd.c): the per-device sparse buffer array
/// filled by the recv threads, and vfio_load_bufs_thread, which writes the buffers to data_fd strictly in
/// index order and then loads the config.
/// Lock order: load_bufs_mutex -> BQL.
/// </summary>
public sealed class VfioMultifd
{
    private readonly QemuProcess qemu;
    private readonly VfioDeviceConfig config;
    private readonly IVfioDevice device;
    private readonly bool configAfterIter;
    private readonly LoadBufs loadBufs = new();

    // Protected by LoadBufsMutex.
    private bool loadBufsThreadRunning;
    private bool loadBufsThreadWantExit;
    private bool loadBufsIterDone;
    private uint loadBufIdx;
    private uint loadBufIdxLast = uint.MaxValue;
    private ulong loadBufQueuedPendingBuffersSize;
    // The count limit's counter: only with x-migration-max-queued-buffers set (proposed in the reviewed series,
    // v2..v6, dc15bcb035, not merged); QEMU as merged has no such field.
    private ulong loadBufQueuedPendingBuffers;

    /// <summary>vfio_multifd_new.</summary>
    public VfioMultifd(QemuProcess qemu, VfioDeviceConfig config, IVfioDevice device, bool configAfterIter)
    {
        this.qemu = qemu;
        this.config = config;
        this.device = device;
        this.configAfterIter = configAfterIter;
        LoadBufsMutex = qemu.NewMutex("load_bufs_mutex", Name);
        LoadBufsBufferReadyCond = qemu.NewCond("load_bufs_buffer_ready_cond", LoadBufsMutex);
        LoadBufsIterDoneCond = qemu.NewCond("load_bufs_iter_done_cond", LoadBufsMutex);
        LoadBufsThreadFinishedCond = qemu.NewCond("load_bufs_thread_finished_cond", LoadBufsMutex);
    }

    /// <summary>Lock order: this lock -> BQL.</summary>
    public QemuMutex LoadBufsMutex { get; }

    public QemuCond LoadBufsBufferReadyCond { get; }

    public QemuCond LoadBufsIterDoneCond { get; }

    public QemuCond LoadBufsThreadFinishedCond { get; }

    private string Name => config.Name;

    private string LoadThreadName => $"load[{Name}]";

    private static readonly LoadError Cancelled = new("operation cancelled", ErrorKind.Cancelled);

    /// <summary>load_bufs' array length (vfio_state_buffers_size_get), for the engine's unit tests.</summary>
    internal uint LoadBufsLength
    {
        get
        {
            using (LoadBufsMutex.Locked())
            {
                return loadBufs.Length;
            }
        }
    }

    /// <summary>
    /// vfio_multifd_load_state_buffer, called by a recv thread (never holding the BQL). Returns null, or the
    /// error that fails the recv thread.
    /// </summary>
    public LoadError? LoadStateBuffer(ReadOnlySpan<byte> data)
    {
        if (data.Length < VfioDeviceStatePacket.HeaderSize)
        {
            qemu.Site("vfio.packet-too-short");
            return new($"{Name}: packet too short at {data.Length} (min is {VfioDeviceStatePacket.HeaderSize})", ErrorKind.Rejected);
        }

        var order = qemu.Variant == ProtocolVariant.HostEndianHeader
            ? qemu.Platform.HostByteOrder() // the header was in host order before cbb2e10526
            : ByteOrder.BigEndian;
        var version = VfioDeviceStatePacket.Get(data, order);
        if (version != VfioDeviceStatePacket.VersionCurrent)
        {
            qemu.Site("vfio.packet-bad-version");
            return new($"{Name}: packet has unknown version {version}", ErrorKind.Rejected);
        }

        var idx = VfioDeviceStatePacket.Get(data[4..], order);
        var flags = VfioDeviceStatePacket.Get(data[8..], order);
        if (idx == VfioDeviceStatePacket.InvalidIdx)
        {
            qemu.Site("vfio.packet-invalid-idx");
            return new($"{Name}: packet index is invalid", ErrorKind.Rejected);
        }

        qemu.Trace(new BufferIncoming(Name, idx));

        // Holding the BQL here would violate the lock order (load_bufs_mutex -> BQL).
        QemuAssert.That(!Bql.Locked, $"{Name}: load_state_buffer called with the BQL held");

        using (LoadBufsMutex.Locked())
        {
            // The config state packet should be the last one in the stream.
            if ((flags & VfioDeviceStatePacket.FlagConfigState) != 0)
            {
                loadBufIdxLast = idx;
            }

            if (Insert(idx, (flags & VfioDeviceStatePacket.FlagConfigState) != 0, data[VfioDeviceStatePacket.HeaderSize..]) is { } error)
            {
                qemu.Site("vfio.insert-failed");
                return error;
            }

            LoadBufsBufferReadyCond.Signal();
        }

        return null;
    }

    /// <summary>vfio_load_state_buffer_insert. Called with load_bufs_mutex held.</summary>
    private LoadError? Insert(uint idx, bool isConfig, ReadOnlySpan<byte> payload)
    {
        if (idx >= loadBufs.Length)
        {
            // g_array_set_size: QEMU allocates and zero-fills idx + 1 elements here, before any check of the packet;
            // the model accounts them (the event) and stores only present elements (LoadBufs is sparse).
            qemu.Trace(new StateBuffersSizeSet(Name, loadBufs.Length, idx + 1));
            loadBufs.SetSize(idx + 1);
        }

        var lb = loadBufs.At(idx);
        if (lb.IsPresent && qemu.Variant != ProtocolVariant.NoAlreadyFilledCheck)
        {
            qemu.Site("vfio.insert-already-filled");
            return new($"{Name}: state buffer {idx} already filled", ErrorKind.Rejected);
        }

        QemuAssert.That(idx >= loadBufIdx, $"{Name}: inserting idx {idx} below load_buf_idx {loadBufIdx}");

        // Count limit, only where the scenario opts in (proposed in the reviewed series, v2..v6, dc15bcb035, not
        // merged): every insert counts, the config buffer too; checked before the size limit; not rolled back.
        if (config.Properties.MaxQueuedBuffers is { } maxCount)
        {
            loadBufQueuedPendingBuffers++;
            if (loadBufQueuedPendingBuffers > maxCount)
            {
                qemu.Site("vfio.insert-count-limit");
                qemu.Trace(new QueueLimitExceeded(Name, idx, "count", loadBufQueuedPendingBuffers, maxCount, payload.Length));
                return new($"{Name}: queuing state buffer {idx} would exceed the max of {maxCount}", ErrorKind.QueueLimit);
            }
        }

        // Size limit (10.1): the data length counts from here until written; not rolled back on failure.
        loadBufQueuedPendingBuffersSize += (ulong)payload.Length;
        if (loadBufQueuedPendingBuffersSize > config.Properties.MaxQueuedBuffersSizeBytes)
        {
            qemu.Site("vfio.insert-size-limit");
            qemu.Trace(new QueueLimitExceeded(Name, idx, "size", loadBufQueuedPendingBuffersSize, config.Properties.MaxQueuedBuffersSizeBytes, payload.Length));
            return new($"{Name}: queuing state buffer {idx} would exceed the size max of {config.Properties.MaxQueuedBuffersSizeBytes}", ErrorKind.QueueLimit);
        }

        if (qemu.Variant == ProtocolVariant.InsertUnlockedBeforeStore)
        {
            // Deep variant: the entry is published (is_present) first and the payload copied with the lock dropped;
            // a load thread that takes the lock in between sees a present buffer with no data yet.
            // The insert is traced where the buffer is published, so the trace's queued bytes stay those counted.
            var copy = payload.ToArray();
            lb.IsPresent = true;
            qemu.Trace(new BufferInserted(Name, idx, payload.Length, isConfig, loadBufIdx, loadBufIdxLast,
                loadBufQueuedPendingBuffers, loadBufQueuedPendingBuffersSize));
            LoadBufsMutex.Unlock();
            LoadBufsMutex.Lock();
            lb.Data = copy;
            lb.Len = copy.Length;
            return null;
        }
        else
        {
            lb.Data = payload.ToArray();
            lb.Len = payload.Length;
            lb.IsPresent = true;
        }
        qemu.Trace(new BufferInserted(Name, idx, payload.Length, isConfig, loadBufIdx, loadBufIdxLast,
            loadBufQueuedPendingBuffers, loadBufQueuedPendingBuffersSize));
        return null;
    }

    /// <summary>
    /// vfio_multifd_switchover_start, from MIG_CMD_SWITCHOVER_START on the main thread (BQL held):
    /// marks the load thread running before it is submitted, so cleanup waits even for a queued thread.
    /// </summary>
    public void SwitchoverStart(Action<string, Func<Func<bool>, LoadError?>> startLoadThread)
    {
        var dropBql = qemu.Variant != ProtocolVariant.LockOrderInversion;
        // The lock order is load_bufs_mutex -> BQL so unlock BQL here first.
        if (dropBql)
        {
            qemu.Bql.Unlock();
        }

        using (LoadBufsMutex.Locked())
        {
            QemuAssert.That(!loadBufsThreadRunning, $"{Name}: switchover start with the load thread already running");
            loadBufsThreadRunning = true;
        }

        if (dropBql)
        {
            qemu.Bql.Lock();
        }

        startLoadThread(LoadThreadName, LoadBufsThread);
    }

    /// <summary>
    /// vfio_load_bufs_thread. Holds load_bufs_mutex for its whole life except inside write() and cond waits.
    /// Returns null on success, or the error (recorded by the thread wrapper with migrate_set_error).
    /// </summary>
    /// <param name="shouldQuit">Reads mis->load_threads_abort (atomically).</param>
    public LoadError? LoadBufsThread(Func<bool> shouldQuit)
    {
        qemu.Trace(new LoadBufsThreadStart(Name));
        LoadBufsMutex.Lock();
        QemuAssert.That(loadBufsThreadRunning, $"{Name}: load thread started but load_bufs_thread_running is false");
        var error = LoadBufsLoop(shouldQuit);

        // thread_exit: notify a possibly waiting vfio_load_cleanup_load_bufs_thread that this thread is exiting.
        if (qemu.Variant == ProtocolVariant.FinishedSignalBeforeRunningCleared)
        {
            // Deep variant: the waiter is woken first and load_bufs_thread_running cleared in a later critical section;
            // a cleanup that takes the lock in between sees the thread still running and waits again, for ever.
            LoadBufsThreadFinishedCond.Signal();
            LoadBufsMutex.Unlock();
            LoadBufsMutex.Lock();
            loadBufsThreadRunning = false;
        }
        else
        {
            loadBufsThreadRunning = false;
            LoadBufsThreadFinishedCond.Signal();
        }

        qemu.Trace(new LoadBufsThreadEnd(Name, error is null));
        LoadBufsMutex.Unlock();
        return error;
    }

    /// <summary>The body of vfio_load_bufs_thread. Called with load_bufs_mutex held.</summary>
    private LoadError? LoadBufsLoop(Func<bool> shouldQuit)
    {
        while (true)
        {
            // Always check cancellation first after the buffer_ready wait below, in case that cond was
            // signalled by vfio_load_cleanup_load_bufs_thread.
            if (loadBufsThreadWantExit || shouldQuit())
            {
                qemu.Site("vfio.load-thread-quit");
                return Cancelled;
            }

            QemuAssert.That(loadBufIdx <= loadBufIdxLast,
                $"{Name}: load_buf_idx {loadBufIdx} > load_buf_idx_last {loadBufIdxLast}");

            var lb = GetBuffer();
            if (lb is null)
            {
                qemu.Site("vfio.load-thread-starved");
                qemu.Trace(new BufferStarved(Name, loadBufIdx));
                if (qemu.Variant == ProtocolVariant.BufferWaitAfterUnlock)
                {
                    // Deep variant: the lock is dropped between the "buffer absent" check and the wait (as if to poll
                    // should_quit outside it) and the wait follows without a re-check: a recv thread's signal sent in
                    // that window finds no waiter and is lost.
                    LoadBufsMutex.Unlock();
                    LoadBufsMutex.Lock();
                }

                LoadBufsBufferReadyCond.Wait();
                continue;
            }

            if (loadBufIdx == loadBufIdxLast)
            {
                break;
            }

            if (loadBufIdx == 0)
            {
                qemu.Trace(new LoadBuffersStart(Name));
            }

            // The count of queued buffers drops once the whole buffer is written (zero-length ones too); the
            // QueuedCountDrift variant drops it when the write starts, while the data is still held.
            var countDropsAtWriteStart = qemu.Variant == ProtocolVariant.QueuedCountDrift;
            if (countDropsAtWriteStart)
            {
                DropQueuedCount();
            }

            if (WriteBuffer(lb) is { } writeError)
            {
                qemu.Site("vfio.load-thread-write-failed");
                return writeError;
            }

            if (!countDropsAtWriteStart)
            {
                DropQueuedCount();
            }

            if (loadBufIdx == loadBufIdxLast - 1)
            {
                qemu.Trace(new LoadBuffersEnd(Name));
            }

            qemu.Trace(new BufferLoaded(Name, loadBufIdx, lb.Len, loadBufIdxLast, loadBufQueuedPendingBuffers,
                loadBufQueuedPendingBuffersSize));
            loadBufIdx++;
        }

        if (configAfterIter && qemu.Variant != ProtocolVariant.NoConfigInterlock)
        {
            while (!loadBufsIterDone)
            {
                qemu.Trace(new IterDoneWait(Name));
                LoadBufsIterDoneCond.Wait();
                // Re-check cancellation right after the wait, in case cleanup signalled the cond (the deep variant
                // IterDoneWaitIgnoresWantExit leaves this out and waits again).
                if (qemu.Variant != ProtocolVariant.IterDoneWaitIgnoresWantExit && (loadBufsThreadWantExit || shouldQuit()))
                {
                    qemu.Site("vfio.load-thread-quit-iter-done");
                    return Cancelled;
                }
            }
        }

        return LoadConfig();
    }

    /// <summary>The count limit's decrement, once per data buffer, where the count limit is on (called with load_bufs_mutex held).</summary>
    private void DropQueuedCount()
    {
        if (config.Properties.MaxQueuedBuffers is null)
        {
            return;
        }

        QemuAssert.That(loadBufQueuedPendingBuffers > 0, $"{Name}: queued buffers count underflow at idx {loadBufIdx}");
        loadBufQueuedPendingBuffers--;
    }

    /// <summary>vfio_load_state_buffer_get: the buffer at load_buf_idx, or null if it has not arrived.</summary>
    private StateBuffer? GetBuffer()
    {
        if (loadBufIdx >= loadBufs.Length)
        {
            QemuAssert.That(loadBufIdx == loadBufs.Length, $"{Name}: load_buf_idx {loadBufIdx} beyond the array end {loadBufs.Length}");
            return null;
        }

        var lb = loadBufs.At(loadBufIdx);
        return lb.IsPresent ? lb : null;
    }

    /// <summary>
    /// vfio_load_state_buffer_write: writes the buffer to data_fd, dropping the lock around each write()
    /// and looping on partial writes. Called with load_bufs_mutex held. Returns null or the error.
    /// </summary>
    private LoadError? WriteBuffer(StateBuffer lb)
    {
        if (lb.Len == 0)
        {
            return null;
        }

        var idx = loadBufIdx;
        qemu.Trace(new BufferLoadStart(Name, idx));
        // lb might be re-allocated while the lock is dropped: steal the data.
        var buf = lb.Data!;
        lb.Data = null;
        var cur = 0;
        var remaining = lb.Len;
        while (remaining > 0)
        {
            // Loading data to the device takes a while: drop the lock during the write.
            LoadBufsMutex.Unlock();
            var ret = device.Write(buf.AsSpan(cur, remaining));
            // Deep variant QueuedSizeUpdateOutsideLock: the new queued size is computed from a read made before the
            // lock is re-taken, so an insert that lands in between has its increment overwritten.
            ulong? sizeReadUnlocked = qemu.Variant == ProtocolVariant.QueuedSizeUpdateOutsideLock ? loadBufQueuedPendingBuffersSize : null;
            LoadBufsMutex.Lock();

            if (ret < 0)
            {
                qemu.Site("vfio.buffer-write-error");
                return new($"{Name}: writing state buffer {idx} failed: {-ret}", ErrorKind.Device);
            }

            QemuAssert.That(ret <= remaining, $"{Name}: write returned {ret} for {remaining} bytes");
            var consumed = qemu.Variant == ProtocolVariant.ShortWriteAsComplete ? remaining : ret;
            remaining -= consumed;
            cur += consumed;

            var sizeBefore = sizeReadUnlocked ?? loadBufQueuedPendingBuffersSize;
            QemuAssert.That(sizeBefore >= (ulong)ret,
                $"{Name}: queued size {sizeBefore} below the written chunk {ret}");
            loadBufQueuedPendingBuffersSize = sizeBefore - (ulong)ret;
            qemu.Trace(new BufferChunkWritten(Name, idx, consumed == ret ? ret + remaining : consumed, ret,
                loadBufQueuedPendingBuffers, loadBufQueuedPendingBuffersSize));
        }

        qemu.Trace(new BufferLoadEnd(Name, idx));
        return null;
    }

    /// <summary>vfio_load_bufs_thread_load_config. Called with load_bufs_mutex held; takes the BQL under it.</summary>
    private LoadError? LoadConfig()
    {
        QemuAssert.That(loadBufIdx == loadBufIdxLast, $"{Name}: config load at idx {loadBufIdx}, last {loadBufIdxLast}");
        var lb = loadBufs.At(loadBufIdx);
        QemuAssert.That(lb.IsPresent, $"{Name}: config buffer {loadBufIdx} absent");

        var f = new QemuFileReader(lb.Data ?? []);
        var header = f.GetBe64();
        if (header != VfioMarkers.DevConfigState)
        {
            qemu.Site("vfio.config-bad-header");
            return new($"{Name}: expected FLAG_DEV_CONFIG_STATE but got {header:x}", ErrorKind.Rejected);
        }

        // Lock order: load_bufs_mutex -> BQL.
        qemu.Bql.Lock();
        qemu.Trace(new ConfigLoadStart(Name, loadBufIdx, Bql.Locked, loadBufsIterDone));
        var ret = VfioConfig.LoadDeviceConfigState(f, device, out var configError);
        if (ret >= 0)
        {
            qemu.Trace(new ConfigLoadEnd(Name, ret));
        }

        qemu.Bql.Unlock();
        if (ret < 0)
        {
            qemu.Site("vfio.config-load-failed");
        }

        return ret < 0
            ? new($"{Name}: vfio_load_device_config_state() failed: {ret}{(configError is null ? "" : $" ({configError})")}", ErrorKind.Device)
            : null;
    }

    /// <summary>
    /// vfio_load_state_config_load_ready, main thread with the BQL: DEV_CONFIG_LOAD_READY lets the load
    /// thread load the config. Returns 0 or -EINVAL (with the error reported).
    /// </summary>
    public int ConfigLoadReady(out string? error)
    {
        if (!configAfterIter)
        {
            qemu.Site("vfio.load-ready-disabled");
            error = $"{Name}: got DEV_CONFIG_LOAD_READY but was disabled";
            return -Errno.EINVAL;
        }

        var duplicate = false;
        // The lock order is load_bufs_mutex -> BQL so unlock BQL here first.
        qemu.Bql.Unlock();
        using (LoadBufsMutex.Locked())
        {
            if (loadBufsIterDone && qemu.Variant != ProtocolVariant.NoDuplicateLoadReadyCheck)
            {
                // Can't print the error here: outside the BQL.
                qemu.Site("vfio.load-ready-duplicate");
                duplicate = true;
            }
            else if (qemu.Variant == ProtocolVariant.IterDoneSignalBeforeSet)
            {
                // Deep variant: the waiter is woken here, the flag set in a later critical section (below).
                LoadBufsIterDoneCond.Signal();
            }
            else
            {
                loadBufsIterDone = true;
                LoadBufsIterDoneCond.Signal();
            }

            // Traced where load_bufs_iter_done is decided (QEMU logs nothing here): the load thread may load the
            // config as soon as the mutex is released, before this thread has the BQL back.
            qemu.Trace(new ConfigLoadReady(Name, duplicate));
        }

        if (qemu.Variant == ProtocolVariant.IterDoneSignalBeforeSet && !duplicate)
        {
            using (LoadBufsMutex.Locked())
            {
                loadBufsIterDone = true;
            }
        }

        qemu.Bql.Lock();
        error = duplicate ? $"{Name}: duplicate DEV_CONFIG_LOAD_READY" : null;
        return duplicate ? -Errno.EINVAL : 0;
    }

    /// <summary>
    /// vfio_multifd_free: vfio_load_cleanup_load_bufs_thread, then the array (freeing every present buffer),
    /// the conds and the mutex. Main thread, BQL held.
    /// </summary>
    public void Free()
    {
        var waited = false;
        var dropBql = qemu.Variant != ProtocolVariant.CleanupLockOrderInversion;
        // The lock order is load_bufs_mutex -> BQL so unlock BQL here first.
        if (dropBql)
        {
            qemu.Bql.Unlock();
        }

        bool stillRunning;
        using (LoadBufsMutex.Locked())
        {
            while (loadBufsThreadRunning)
            {
                qemu.Site("vfio.cleanup-stop-load-thread");
                waited = true;
                loadBufsThreadWantExit = true;
                LoadBufsBufferReadyCond.Signal();
                if (qemu.Variant != ProtocolVariant.CleanupMissesIterDoneWake)
                {
                    LoadBufsIterDoneCond.Signal();
                }

                LoadBufsThreadFinishedCond.Wait();
                if (qemu.Variant == ProtocolVariant.SingleWaitCleanup)
                {
                    // Series v3 waited once (and then asserted !running, left out here so that what follows
                    // a spurious wakeup is visible: the state is freed under a running thread).
                    break;
                }
            }

            stillRunning = loadBufsThreadRunning;
        }

        if (dropBql)
        {
            qemu.Bql.Lock();
        }

        qemu.Trace(new LoadBufsThreadCleanedUp(Name, waited));
        int freed;
        if (!stillRunning)
        {
            // As QEMU: the load thread is gone (and the recv threads were joined), so the array is destroyed
            // with the BQL held and without load_bufs_mutex.
            freed = loadBufs.Destroy();
        }
        else
        {
            // Only after a variant left the load thread running (in QEMU, a use-after-free). Simplification: the
            // model keeps its own state consistent by taking the lock, with the BQL dropped, so that this step
            // adds no lock-order edge and cannot deadlock with a load thread waiting for the BQL.
            qemu.Bql.Unlock();
            using (LoadBufsMutex.Locked())
            {
                freed = loadBufs.Destroy();
            }

            qemu.Bql.Lock();
        }

        qemu.Trace(new VfioMultifdFreed(Name, freed, stillRunning));
    }
}

/// <summary>An error that fails the calling thread, with its kind.</summary>
public sealed record LoadError(string Message, ErrorKind Kind);
