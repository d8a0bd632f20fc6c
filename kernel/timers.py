# Timers: a binary heap of TCBs ordered by deadline, wraparound-safe (ticks_diff), for
# sleeps and for every blocking call that has a timeout.
from kernel import port
from kernel.errors import Full, Timeout
from kernel.tcb import BLOCKED, STATE_NAMES, const
from kernel.trace import EV_TIMEOUT

# The TCB fields and states this part uses (kernel/tcb.py has them all; a test checks
# these agree with it): private consts, which MicroPython folds into the code.
_TID = const(0)
_RECV = const(3)
_STATE = const(3)
_CALL_QUEUED = const(4)
_X_PENDING = const(4)
_X_ROOM_WAITERS = const(5)
_SLEEP = const(6)
_WAITS_ON = const(6)
_LOOKUP = const(7)
_DEADLINE = const(8)
_WAIT_ROOM = const(8)
_TIMER_POS = const(9)
_EXTRA = const(14)
_CALL_ID = const(23)

ticks_ms = port.ticks_ms
ticks_diff = port.ticks_diff
ticks_add = port.ticks_add


class Timers:
    def __init__(self):
        self._heap = []             # TCBs, ordered by _DEADLINE

    def _sys_sleep(self, t, sc):
        t[_STATE] = _SLEEP
        self._timer_add(t, sc.a)
        return BLOCKED

    def _timer_add(self, t, ms):
        if t[_TIMER_POS] >= 0:
            self._timer_del(t)
        t[_DEADLINE] = ticks_add(ticks_ms(), max(0, int(ms)))
        h = self._heap
        h.append(t)
        self._sift_up(len(h) - 1, t)

    def _sift_up(self, i, t):
        h = self._heap
        dl = t[_DEADLINE]
        while i > 0:
            p = (i - 1) >> 1
            pt = h[p]
            if ticks_diff(dl, pt[_DEADLINE]) >= 0:
                break
            h[i] = pt
            pt[_TIMER_POS] = i
            i = p
        h[i] = t
        t[_TIMER_POS] = i

    def _sift_down(self, i, t):
        h = self._heap
        n = len(h)
        dl = t[_DEADLINE]
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and ticks_diff(h[c + 1][_DEADLINE], h[c][_DEADLINE]) < 0:
                c += 1
            ct = h[c]
            if ticks_diff(ct[_DEADLINE], dl) >= 0:
                break
            h[i] = ct
            ct[_TIMER_POS] = i
            i = c
        h[i] = t
        t[_TIMER_POS] = i

    def _timer_del(self, t):
        h = self._heap
        i = t[_TIMER_POS]
        t[_TIMER_POS] = -1
        last = h.pop()
        if last is not t:
            self._sift_down(i, last)
            self._sift_up(last[_TIMER_POS], last)

    def _expire(self):
        h = self._heap
        now = ticks_ms()
        while h and ticks_diff(h[0][_DEADLINE], now) <= 0:
            t = h[0]
            self._timer_del(t)
            self._timeout(t)

    def _withdraw(self, t):
        # Take a blocked task out of what it waits on (its timer aside): the unreceived
        # call back from the server's mailbox, its place among lookup or room waiters.
        st = t[_STATE]
        if st == _CALL_QUEUED:
            d = self._task(t[_WAITS_ON])
            if d is not None:
                self._unqueue(d, ~t[_CALL_ID])
        elif st == _LOOKUP:
            waiters = self._name_waiters.get(t[_WAITS_ON])
            if waiters and t in waiters:
                waiters.remove(t)
        elif st == _WAIT_ROOM:
            d = self._task(t[_WAITS_ON])
            if d is not None and d[_EXTRA] is not None and d[_EXTRA][_X_ROOM_WAITERS] and t in d[_EXTRA][_X_ROOM_WAITERS]:
                d[_EXTRA][_X_ROOM_WAITERS].remove(t)
            t[_EXTRA][_X_PENDING] = None

    def _timeout(self, t):
        st = t[_STATE]
        if st == _SLEEP:
            self._wake(t, None)
            return
        self._withdraw(t)
        if st == _WAIT_ROOM:                       # no room came in time
            self._tr.log(EV_TIMEOUT, t[_TID], st)
            self._wake_fail(t, Full(t[_WAITS_ON]))
            return
        if st != _RECV:     # a recv that times out is a periodic task's tick: not traced
            self._tr.log(EV_TIMEOUT, t[_TID], st)
        self._wake_fail(t, Timeout(STATE_NAMES[st]))
