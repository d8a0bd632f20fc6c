# What can be read of the system, as plain data (JSON-serialisable): task records, the
# task table a record at a time, faults, trace events with names, counters. Formatting
# is not the kernel's (servers/lib/inspect_format.py). Tasks read these through the `info`
# system call (rights.py); the firmware and tests call the methods between runs.
from kernel import port
from kernel.errors import Dead
from kernel.trace import PEER_EVENTS
from kernel.tcb import (
    CAPS, CPU_S, CPU_US, DEADLINE, EXTRA, HEAP_B, HEAP_MB, MAX_SLICE, MBOX, MBOX_COUNT,
    MSGS_IN, MSGS_OUT, NAME, NOTES, PRIO, RECV, SLEEP, SLICES, STATE, STATE_NAMES, TID,
    TIMER_POS, WAITS_ON, X_BASE_PRIO, X_PRIVILEGED)

ticks_ms = port.ticks_ms
ticks_diff = port.ticks_diff


# What a task in each state waits on, as ps shows it (see _info).
_WAITS = (None, None, None, "msg", "send", "reply", "", "name", "send", None)


class Inspect:
    def tasks(self):
        # tids of the live tasks, in slot order.
        return [t[TID] for t in self._slots if type(t) is list]

    def task_info(self, tid):
        t = self._task(tid)
        if t is None:
            raise Dead(tid)
        return self._info(t)

    def _info(self, t, slim=False):
        # slim: only what ps shows (cheaper: no name search, fewer keys).
        st = t[STATE]
        waits = _WAITS[st]                     # what it waits on, then for how long
        if waits is not None and st != RECV and st != SLEEP:
            waits = "%s %s" % (waits, t[WAITS_ON])
        if t[TIMER_POS] >= 0:
            waits = ("%s %dms" % (waits, max(0, ticks_diff(t[DEADLINE], ticks_ms())))).lstrip()
        waits = waits or ""
        r = {"tid": t[TID], "name": t[NAME], "state": STATE_NAMES[st], "waits": waits,
             "prio": t[PRIO], "mbox": t[MBOX_COUNT], "mbox_cap": (len(t) - MBOX) >> 1,
             "cpu_us": t[CPU_S] * 1000000 + t[CPU_US], "heap": t[HEAP_MB] * 0x100000 + t[HEAP_B],
             "faults": self._fault_counts.get(t[NAME], 0)}
        if not slim:
            x = t[EXTRA]
            r.update({"notes": t[NOTES], "msgs_in": t[MSGS_IN], "msgs_out": t[MSGS_OUT],
                      "slices": t[SLICES], "max_slice_us": t[MAX_SLICE],
                      "base_prio": x[X_BASE_PRIO] if x is not None and x[X_BASE_PRIO] is not None else t[PRIO],
                      "privileged": bool(x is not None and x[X_PRIVILEGED]), "caps": t[CAPS],
                      "names": [n for n, v in self._names.items() if v == t[TID]]})
        return r

    def iter_info(self, slim=False):
        # Every live task's record, one at a time (no list of them all).
        for t in self._slots:
            if type(t) is list:
                yield self._info(t, slim)

    def next_task(self, cursor):
        # The task table a record at a time: cursor 0 starts; returns (cursor, slim
        # record) for the next live task, or None after the last.
        i = cursor or 0
        slots = self._slots
        while i < len(slots):
            t = slots[i]
            i += 1
            if type(t) is list:
                return i, self._info(t, True)
        return None

    def name_of(self, tid):
        # The name of task tid: live, or among the last few to end; else None.
        t = self._task(tid)
        if t is not None:
            return t[NAME]
        g = self._gone
        for i in range(0, len(g), 2):
            if g[i] == tid:
                return g[i + 1]
        return None

    def faults(self, n=None):
        # The last n faults, oldest first: dicts with tid, name, type, text, traceback.
        fs = self._faults if n is None else self._faults[-n:] if n > 0 else []
        return [dict(f) for f in fs]

    def iter_faults(self):
        # The fault records themselves, oldest first, one at a time (read them, do not
        # change them): no copy of the log (/srv/faults).
        for f in self._faults[:]:
            yield f

    def trace_events(self, n=None):
        # The last n kernel events, oldest first: (ticks_us, event, tid, arg).
        return self._tr.events(n)

    def named_trace(self, n=None):
        # The same, each with the names of its task and of the task in arg (or None).
        out = list(self.iter_trace())
        return out if n is None else out[-n:] if n > 0 else []

    def iter_trace(self):
        # named_trace() an event at a time, in bounded memory however long the ring
        # (/srv/trace); a task reading it between yields sees it in order (TraceRing.iter).
        name_of = self.name_of
        for us, ev, tid, arg in self._tr.iter():
            yield (us, ev, tid, arg, name_of(tid), name_of(arg) if ev in PEER_EVENTS else None)

    def stats(self):
        # gc.mem_free() walks the heap (8 ms on a Pico); mem_alloc is what it is not.
        free = port.mem_free()
        return {
            "uptime_ms": ticks_diff(ticks_ms(), self._started),
            "tasks": len(self._slots) - len(self._free),
            "switches": self._dead_slices + sum(t[SLICES] for t in self._slots if type(t) is list),
            "idle_ms": self._idle_us // 1000,
            "gc_runs": self._gc_runs,
            "faults": sum(self._fault_counts.values()),
            "irq_lost": self._irq_lost,
            "timers": len(self._heap),
            "mem_free": free,
            "mem_alloc": self._heap_size - free,
        }

    def snapshot(self):
        # ps, stats and the fault log together (tests, the REPL).
        return {"tasks": list(self.iter_info()), "stats": self.stats(), "faults": self.faults()}

    def current(self):
        # tid of the task being run, or None between slices.
        return self._cur[TID] if self._cur is not None else None
