# What can be read of the system, as plain data (JSON-serialisable): task records, the
# task table a record at a time, faults, trace events with names, counters. Formatting
# is not the kernel's (servers/inspect_format.py). Tasks read these through the `info`
# system call (rights.py); the firmware and tests call the methods between runs.
from kernel import port
from kernel.errors import Dead
from kernel.trace import PEER_EVENTS
from kernel.tcb import STATE_NAMES, const

# The TCB fields and states this part uses (kernel/tcb.py has them all; a test checks
# these agree with it): private consts, which MicroPython folds into the code.
_TID = const(0)
_NAME = const(1)
_X_PRIVILEGED = const(2)
_RECV = const(3)
_STATE = const(3)
_X_BASE_PRIO = const(3)
_CALL_QUEUED = const(4)
_PRIO = const(4)
_CALL_HELD = const(5)
_SLEEP = const(6)
_WAITS_ON = const(6)
_LOOKUP = const(7)
_DEADLINE = const(8)
_WAIT_ROOM = const(8)
_TIMER_POS = const(9)
_MBOX_COUNT = const(11)
_NOTES = const(12)
_CAPS = const(13)
_EXTRA = const(14)
_MSGS_IN = const(15)
_MSGS_OUT = const(16)
_SLICES = const(17)
_CPU_US = const(18)
_CPU_S = const(19)
_MAX_SLICE = const(20)
_HEAP_B = const(21)
_HEAP_MB = const(22)
_MBOX = const(24)

ticks_ms = port.ticks_ms
ticks_diff = port.ticks_diff


class Inspect:
    def tasks(self):
        # tids of the live tasks, in slot order.
        return [t[_TID] for t in self._slots if type(t) is list]

    def task_info(self, tid):
        t = self._task(tid)
        if t is None:
            raise Dead(tid)
        return self._info(t)

    def _info(self, t, slim=False):
        # slim: only what ps shows (cheaper: no name search, fewer keys).
        st = t[_STATE]
        w = t[_WAITS_ON]
        if st == _CALL_QUEUED or st == _WAIT_ROOM:
            waits = "send %d" % w
        elif st == _CALL_HELD:
            waits = "reply %d" % w
        elif st == _LOOKUP:
            waits = "name %s" % w
        elif st == _RECV:
            waits = "msg" if t[_TIMER_POS] < 0 else "msg %dms" % max(0, ticks_diff(t[_DEADLINE], ticks_ms()))
        elif st == _SLEEP:
            waits = "%dms" % max(0, ticks_diff(t[_DEADLINE], ticks_ms()))
        else:
            waits = ""
        r = {"tid": t[_TID], "name": t[_NAME], "state": STATE_NAMES[st], "waits": waits,
             "prio": t[_PRIO], "mbox": t[_MBOX_COUNT], "mbox_cap": (len(t) - _MBOX) >> 1,
             "cpu_us": t[_CPU_S] * 1000000 + t[_CPU_US], "heap": t[_HEAP_MB] * 0x100000 + t[_HEAP_B],
             "faults": self._fault_counts.get(t[_NAME], 0)}
        if not slim:
            x = t[_EXTRA]
            r.update({"notes": t[_NOTES], "msgs_in": t[_MSGS_IN], "msgs_out": t[_MSGS_OUT],
                      "slices": t[_SLICES], "max_slice_us": t[_MAX_SLICE],
                      "base_prio": x[_X_BASE_PRIO] if x is not None and x[_X_BASE_PRIO] is not None else t[_PRIO],
                      "privileged": bool(x is not None and x[_X_PRIVILEGED]), "caps": t[_CAPS],
                      "names": [n for n, v in self._names.items() if v == t[_TID]]})
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
            return t[_NAME]
        g = self._gone
        for i in range(0, len(g), 2):
            if g[i] == tid:
                return g[i + 1]
        return None

    def faults(self, n=None):
        # The last n faults, oldest first: dicts with tid, name, type, text, traceback.
        fs = self._faults if n is None else self._faults[-n:] if n > 0 else []
        return [dict(f) for f in fs]

    def trace_events(self, n=None):
        # The last n kernel events, oldest first: (ticks_us, event, tid, arg).
        return self._tr.events(n)

    def named_trace(self, n=None):
        # The same, each with the names of its task and of the task in arg (or None).
        name_of = self.name_of
        return [(us, ev, tid, arg, name_of(tid), name_of(arg) if ev in PEER_EVENTS else None)
                for us, ev, tid, arg in self._tr.events(n)]

    def stats(self):
        # gc.mem_free() walks the heap (8 ms on a Pico); mem_alloc is what it is not.
        free = port.mem_free()
        return {
            "uptime_ms": ticks_diff(ticks_ms(), self._started),
            "tasks": len(self._slots) - len(self._free),
            "switches": self._dead_slices + sum(t[_SLICES] for t in self._slots if type(t) is list),
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
        return self._cur[_TID] if self._cur is not None else None
