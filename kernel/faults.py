# Ending tasks: normally, killed, or by a fault. A fault (any exception escaping a task)
# ends that task only and is recorded, whatever the exception is: recording can never
# fail, so only a task that never yields can stop the loop (the watchdog's job). Whoever
# waited on the task learns at once (Dead, monitor "down"), and its hardware claims end.
from kernel import port
from kernel.errors import Dead
from kernel.tcb import BLOCKED, TID_MASK, const
from kernel.trace import EV_EXIT, EV_FAULT, EV_KILL

# The TCB fields and states this part uses (kernel/tcb.py has them all; a test checks
# these agree with it): private consts, which MicroPython folds into the code.
_TID = const(0)
_X_WATCHERS = const(0)
_NAME = const(1)
_CORO = const(2)
_RUN = const(2)
_STATE = const(3)
_CALL_QUEUED = const(4)
_CALL_HELD = const(5)
_WAITS_ON = const(6)
_LOOKUP = const(7)
_WAIT_ROOM = const(8)
_DEAD = const(9)
_TIMER_POS = const(9)
_MBOX_HEAD = const(10)
_SLOT_BITS = const(10)
_MBOX_COUNT = const(11)
_EXTRA = const(14)
_SLICES = const(17)
_CALL_ID = const(23)
_MBOX = const(24)
_SLOT_MASK = const(1023)
_GEN_LIMIT = const(1024)

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
        g = t[_CORO]
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
        name = t[_NAME]
        self._fault_counts[name] = self._fault_counts.get(name, 0) + 1
        rec = {"tid": t[_TID], "name": name, "type": kind, "text": text,
               "traceback": tb, "ticks_ms": ticks_ms()}
        self._faults.append(rec)
        if len(self._faults) > _FAULT_LOG:
            self._faults.pop(0)

    def _end(self, t, reason, ev):
        tid = t[_TID]
        if t[_STATE] == _DEAD:
            return
        i = self._gone_i                       # its name, for traces that outlive it
        self._gone[i] = tid
        self._gone[i + 1] = t[_NAME]
        self._gone_i = (i + 2) % len(self._gone)
        st = t[_STATE]
        t[_STATE] = _DEAD
        t[_CORO] = None
        self._dead_slices += t[_SLICES] + (st == _RUN)
        if t[_TIMER_POS] >= 0:
            self._timer_del(t)
        if st == _LOOKUP:
            waiters = self._name_waiters.get(t[_WAITS_ON])
            if waiters and t in waiters:
                waiters.remove(t)
        slot = tid & _SLOT_MASK
        g = (tid >> _SLOT_BITS) + 1
        self._slots[slot] = g if g < _GEN_LIMIT else 1
        self._free.append(slot)
        for name in [n for n, v in self._names.items() if v == tid]:
            del self._names[name]
        self._drop_claims(tid)
        self._tr.log(ev, tid, 0)
        # Callers whose message waits in our mailbox, callers waiting for our reply and
        # senders waiting for room learn at once that we are gone.
        n = t[_MBOX_COUNT]
        cap = (len(t) - _MBOX) >> 1
        for k in range(n):
            i = _MBOX + 2 * ((t[_MBOX_HEAD] + k) % cap)
            s = t[i]
            if s is not None and s < 0:
                c = self._task(~s & TID_MASK)
                if c is not None and c[_STATE] == _CALL_QUEUED and c[_CALL_ID] == ~s:
                    self._wake_fail(c, Dead(tid))
            t[i] = t[i + 1] = None
        t[_MBOX_COUNT] = 0
        for c in self._slots:
            if type(c) is list and c[_STATE] == _CALL_HELD and c[_WAITS_ON] == tid:
                self._wake_fail(c, Dead(tid))
        self._room_gone(t, Dead)
        x = t[_EXTRA]
        if x is not None and x[_X_WATCHERS]:
            msg = ("down", tid, reason)
            for w in x[_X_WATCHERS]:
                d = self._task(w)
                if d is not None:
                    self._post(d, msg)
        t[_EXTRA] = None
