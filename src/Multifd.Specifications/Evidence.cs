namespace Multifd.Specifications;

/// <summary>
/// What a stream of observations can show. The same property monitors read two streams: the model's (every engine
/// and world event, with thread names) and a real QEMU's trace log, which holds only QEMU's trace events (no
/// <c>model_</c> or <c>sim_</c> event), and names threads only when the log carries thread ids. A clause whose events
/// the stream lacks simply never fires; a property says which of its clauses a stream can show
/// (<see cref="Property.CoverageOf"/>).
/// </summary>
public sealed record Evidence
{
    /// <summary>The model: every event, every thread named, the run's end known.</summary>
    public static Evidence Model { get; } = new() { ModelEvents = true, ThreadIdentity = true };

    /// <summary>The stream holds the model's own events (model_..., sim_...) besides QEMU's.</summary>
    public bool ModelEvents { get; init; }

    /// <summary><see cref="Engine.Ports.Observation.Thread"/> names the emitting thread (the model; a 10.0 log with
    /// thread ids; per-thread <c>-d tid</c> files). Without it the thread is inferred from the event.</summary>
    public bool ThreadIdentity { get; init; }

    /// <summary>
    /// The QEMU events that occur in the log at all (null: the model, which emits all of its events). A clause that
    /// needs an event to be absent checks it only if the event occurs somewhere: an event never seen may not have been
    /// enabled with -trace.
    /// </summary>
    public IReadOnlySet<string>? EventsSeen { get; init; }

    /// <summary>Facts read ahead from the whole log, which the model knows from its own setup events.</summary>
    public LogFacts? Facts { get; init; }

    /// <summary>Whether the stream can hold <paramref name="traceName"/>.</summary>
    public bool Shows(string traceName) => EventsSeen is null || EventsSeen.Contains(traceName);
}

/// <summary>What a first pass over a QEMU log found (per side), for the properties' mode-dependent clauses.</summary>
/// <param name="MultifdDevices">Devices whose load thread ran (vfio_load_bufs_thread_start): multifd transfer on.</param>
/// <param name="LoadReadyDevices">Devices for which the main thread read DEV_CONFIG_LOAD_READY.</param>
/// <param name="InterruptControllerSeen">An ARM interrupt controller's section was loaded (vmstate_load arm_gic...): an aarch64 destination.</param>
public sealed record LogFacts(
    IReadOnlySet<string> MultifdDevices,
    IReadOnlySet<string> LoadReadyDevices,
    bool InterruptControllerSeen);

/// <summary>How much of a property a stream can show.</summary>
public enum CoverageLevel
{
    Checked,
    Partly,
    NotCheckable,
}

/// <summary>A property's coverage on a stream, with what the stream lacks.</summary>
public sealed record Coverage(CoverageLevel Level, string Note)
{
    public static Coverage Full(string note = "") => new(CoverageLevel.Checked, note);

    public static Coverage Partly(string note) => new(CoverageLevel.Partly, note);

    public static Coverage None(string note) => new(CoverageLevel.NotCheckable, note);

    public string Label => Level switch
    {
        CoverageLevel.Checked => "checked",
        CoverageLevel.Partly => "partly checked",
        _ => "not checkable",
    };
}

/// <summary>The end of a QEMU log.</summary>
/// <param name="ProcessEnded">The process exited (observe --ended): a thread still running is a hang, not a run in progress.</param>
public sealed record LogEnd(bool ProcessEnded);
