# The one format of the kernel's inspection data, wherever it is shown: ps() and trace()
# at the REPL (firmware/repl.py), the console's ps and trace, and `mpk ps` / `mpk trace` /
# `mpk top` on the host (which import this module). Records are plain data; lines are
# made one at a time, so a long table is printed line by line and never held whole.

# ps: one record per task. (key, heading, width); the host pads the same way.
PS_COLUMNS = (
    ("tid", "TID", 6), ("name", "NAME", 14), ("state", "STATE", 7), ("waits", "WAITS", 12),
    ("prio", "PRIO", 4), ("mailbox", "MAILBOX", 7), ("cpu_ms", "CPU_MS", 7), ("mem", "MEM", 8),
    ("restarts", "RESTARTS", 8), ("faults", "FAULTS", 6),
)
PS_KEYS = tuple(c[0] for c in PS_COLUMNS)

from kernel.trace import PEER_EVENTS as _PEER_KINDS


def ps_record(info, restarts=0):
    # A task as Kernel.task_info() gives it -> its ps record.
    return {"tid": info["tid"], "name": info["name"], "state": info["state"], "waits": info["waits"],
            "prio": info["prio"], "mailbox": [info["mbox"], info["mbox_cap"]],
            "cpu_ms": info["cpu_us"] // 1000, "mem": info["heap"], "restarts": restarts,
            "faults": info["faults"]}


def _cell(v):
    if v is None:
        return "-"
    if type(v) is list or type(v) is tuple:
        return "/".join(str(x) for x in v)
    return str(v)


def ps_head():
    return "  ".join("%-*s" % (w, h) for _, h, w in PS_COLUMNS).rstrip()


def ps_line(rec):
    return "  ".join("%-*s" % (w, _cell(rec.get(k))) for k, _, w in PS_COLUMNS).rstrip()


def format_ps(records):
    # The whole table as text (the host, tests); on the board print ps_head() and
    # ps_line() one by one instead.
    lines = [ps_head()]
    for r in records:
        lines.append(ps_line(r))
    return "\n".join(lines)


def trace_record(ev, seq=None):
    # A named trace event (ticks_us, kind, tid, arg, name, peer name), as the kernel's
    # `info("trace")` gives it -> its record.
    us, kind, tid, arg, name, peer = ev
    r = {"t_us": us, "kind": kind, "tid": tid, "name": name, "arg": arg}
    if kind in _PEER_KINDS:
        r["peer"] = peer
    if seq is not None:
        r["seq"] = seq
    return r


def _who(name, tid):
    return "%s[%d]" % (name or "?", tid)


def trace_line(r):
    kind = r["kind"]
    head = "%12.3f ms  %-8s %s" % (r["t_us"] / 1000, kind, _who(r.get("name"), r["tid"]))
    arg = r["arg"]
    if kind in _PEER_KINDS:
        return head + (" <- " if kind == "recv" else " -> ") + _who(r.get("peer"), arg)
    if kind == "slow":
        return head + " held the CPU %d ms" % arg
    if kind == "spawn":
        return head + " in slot %d" % arg
    if kind == "irq-lost":
        return head + " %d interrupts lost" % arg
    if kind == "timeout":
        from kernel.tcb import STATE_NAMES

        return head + " (%s)" % (STATE_NAMES[arg] if 0 <= arg < len(STATE_NAMES) else arg)
    return head


def format_trace(records):
    if not records:
        return "(no events)"
    return "\n".join(trace_line(r) for r in records)


def postmortem_line(r):
    # One post-mortem record as the console prints it.
    kind = r.get("kind")
    if kind == "boot":
        n = r.get("boots", 1)
        return "  boot %s: reset cause %s%s" % (r.get("boot"), r.get("cause"),
                                                "" if n == 1 else " (%d boots in a row)" % n)
    who = r.get("task")
    return "  boot %s: %s%s: %s%s" % (r.get("boot"), kind, " " + who if who else "", r.get("why", ""),
                                      "\n      " + r["tb"] if r.get("tb") else "")
