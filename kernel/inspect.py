# Text renderings of the kernel's inspection data, for the REPL and the console.

_COLUMNS = (
    ("tid", "tid", 6), ("name", "name", 14), ("state", "state", 7), ("waits", "waits", 12),
    ("prio", "pri", 3), ("mbox", "mbox", 5), ("msgs_in", "in", 6), ("msgs_out", "out", 6),
    ("slices", "slices", 7), ("cpu_ms", "cpu_ms", 8), ("max_slice_us", "max_us", 7),
    ("heap", "heap", 8), ("faults", "flt", 3),
)


def _cell(task, key):
    if key == "mbox":
        return "%d/%d" % (task["mbox"], task["mbox_cap"])
    if key == "cpu_ms":
        return "%d" % (task["cpu_us"] // 1000)
    return str(task[key])


def format_ps(tasks):
    head = " ".join(("%-*s" if i < 4 else "%*s") % (w, label)
                    for i, (_, label, w) in enumerate(_COLUMNS))
    lines = [head]
    for t in tasks:
        lines.append(" ".join(("%-*s" if i < 4 else "%*s") % (w, _cell(t, key)[:max(w, 6)])
                              for i, (key, _, w) in enumerate(_COLUMNS)))
    return "\n".join(lines)


def format_trace(events):
    if not events:
        return "(no events)"
    # Times are relative to the newest event, in microseconds (ticks_us wraps at 2**30).
    last = events[-1][0]
    return "\n".join("%10dus %-8s tid=%-6d %s" % (-((last - us) & 0x3FFFFFFF), ev, tid, arg)
                     for us, ev, tid, arg in events)
