# Ending tasks: normally, killed, or by a fault. A fault (any exception escaping a task)
# ends that task only and is recorded, whatever the exception is: recording can never
# fail, so only a task that never yields can stop the loop (the watchdog's job). Whoever
# waited on the task learns at once (Dead, monitor "down"), and its hardware claims end.
from kernel import port
from kernel.errors import Dead
from kernel.tcb import (
    BLOCKED, CALL_HELD, CALL_ID, CALL_QUEUED, CORO, DEAD, EXTRA, GEN_LIMIT, LOOKUP,
    MBOX, MBOX_COUNT, MBOX_HEAD, NAME, RUN, SLICES, SLOT_BITS, SLOT_MASK, STATE, TID,
    TID_MASK, TIMER_POS, WAITS_ON, X_WATCHERS, const)
from kernel.trace import EV_EXIT, EV_FAULT, EV_KILL

ticks_ms = port.ticks_ms

_EMERGENCY_BYTES = const(1024)
_FAULT_LOG = const(16)
_GONE_NAMES = const(16)
_TEXT_MAX = const(200)                   # characters of a fault's text kept
_TB_MAX = const(1200)                    # ... and of its traceback


class Faults:
    def __init__(self):
        self._faults = []
        self._fault_counts = {}     # task name -> faults so far
        self._gone = [0, None] * _GONE_NAMES    # (tid, name) of the last tasks to end
        self._gone_i = 0
        self._reserve = None
        port.reserve_emergency_buffer(256)
        self._reserve = bytearray(_EMERGENCY_BYTES)

    def _sys_exit(self, t, sc):
        self._close(t)
        self._end(t, "normal", EV_EXIT)
        return BLOCKED

    def kill(self, tid):
        # End a task from outside the loop (tests, the REPL). Tasks use the checked
        # `kill` system call (rights.py).
        t = self._task(tid)
        if t is None:
            raise Dead(tid)
        self._close(t)
        self._end(t, "killed", EV_KILL)

    def _close(self, t):
        # Run the task's finally blocks (it is suspended at a yield, never mid-slice);
        # a task that misbehaves while closing is ended all the same.
        g = t[CORO]
        if g is not None:
            try:
                g.close()
            except BaseException:
                pass

    def _fault(self, t, e):
        if isinstance(e, MemoryError):
            self._reserve = None               # give the handler room to record it
            port.collect()
        kind = "?"
        try:
            kind = type(e).__name__
            text = str(e)[:_TEXT_MAX]
        except BaseException:                 # a __str__ that raises
            text = "(unprintable %s)" % kind
        try:
            tb = port.format_exception(e)[-_TB_MAX:]
        except BaseException:
            tb = ""
        try:
            self._record_fault(t, kind, text, tb)
        except BaseException:
            try:
                self._record_fault(t, kind, "", "")
            except BaseException:
                pass
        self._end(t, "fault:" + kind, EV_FAULT)
        if self._reserve is None:
            try:
                self._reserve = bytearray(_EMERGENCY_BYTES)
            except MemoryError:
                pass

    def _record_fault(self, t, kind, text, tb):
        name = t[NAME]
        self._fault_counts[name] = self._fault_counts.get(name, 0) + 1
        rec = {"tid": t[TID], "name": name, "type": kind, "text": text,
               "traceback": tb, "ticks_ms": ticks_ms()}
        self._faults.append(rec)
        if len(self._faults) > _FAULT_LOG:
            self._faults.pop(0)

    def _end(self, t, reason, ev):
        tid = t[TID]
        if t[STATE] == DEAD:
            return
        i = self._gone_i                       # its name, for traces that outlive it
        self._gone[i] = tid
        self._gone[i + 1] = t[NAME]
        self._gone_i = (i + 2) % len(self._gone)
        st = t[STATE]
        t[STATE] = DEAD
        t[CORO] = None
        self._dead_slices += t[SLICES] + (st == RUN)
        if t[TIMER_POS] >= 0:
            self._timer_del(t)
        if st == LOOKUP:
            waiters = self._name_waiters.get(t[WAITS_ON])
            if waiters and t in waiters:
                waiters.remove(t)
        slot = tid & SLOT_MASK
        g = (tid >> SLOT_BITS) + 1
        self._slots[slot] = g if g < GEN_LIMIT else 1
        self._free.append(slot)
        for name in [n for n, v in self._names.items() if v == tid]:
            del self._names[name]
        self._drop_claims(tid)
        self._tr.log(ev, tid, 0)
        # Callers whose message waits in our mailbox, callers waiting for our reply and
        # senders waiting for room learn at once that we are gone.
        n = t[MBOX_COUNT]
        cap = (len(t) - MBOX) >> 1
        for k in range(n):
            i = MBOX + 2 * ((t[MBOX_HEAD] + k) % cap)
            s = t[i]
            if s is not None and s < 0:
                c = self._task(~s & TID_MASK)
                if c is not None and c[STATE] == CALL_QUEUED and c[CALL_ID] == ~s:
                    self._wake_fail(c, Dead(tid))
            t[i] = t[i + 1] = None
        t[MBOX_COUNT] = 0
        for c in self._slots:
            if type(c) is list and c[STATE] == CALL_HELD and c[WAITS_ON] == tid:
                self._wake_fail(c, Dead(tid))
        self._room_gone(t, Dead)
        x = t[EXTRA]
        if x is not None and x[X_WATCHERS]:
            msg = ("down", tid, reason)
            for w in x[X_WATCHERS]:
                d = self._task(w)
                if d is not None:
                    self._post(d, msg)
        t[EXTRA] = None
