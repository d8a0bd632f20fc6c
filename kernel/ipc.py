# Messages beyond the hot paths in sched.py: send (with a bounded wait for room), notify,
# kernel messages, names and lookups, monitors, and the priority a server is lent while
# it serves a caller of higher priority (QNX-style inheritance, on call).
from kernel.errors import Dead, Denied, Full, IPCError, Timeout
from kernel.tcb import BLOCKED, KERNEL, TID_MASK, const
from kernel.trace import EV_SEND, EV_NOTIFY

# The TCB fields and states this part uses (kernel/tcb.py has them all; a test checks
# these agree with it): private consts, which MicroPython folds into the code.
_READY = const(0)
_TID = const(0)
_X_WATCHERS = const(0)
_THROW = const(1)
_X_KMSGS = const(1)
_RECV = const(3)
_STATE = const(3)
_X_BASE_PRIO = const(3)
_CALL_QUEUED = const(4)
_PRIO = const(4)
_X_PENDING = const(4)
_CALL_HELD = const(5)
_X_ROOM_WAITERS = const(5)
_WAITS_ON = const(6)
_LOOKUP = const(7)
_WAIT_ROOM = const(8)
_MBOX_HEAD = const(10)
_MBOX_COUNT = const(11)
_NOTES = const(12)
_CAPS = const(13)
_EXTRA = const(14)
_MSGS_IN = const(15)
_MSGS_OUT = const(16)
_CALL_ID = const(23)
_MBOX = const(24)


class Ipc:
    def __init__(self):
        self._names = {}            # name -> tid
        self._name_waiters = {}     # name -> [TCB] blocked in lookup

    # --- who may talk to whom -------------------------------------------------------

    def _allowed(self, caps, dst):
        if dst in caps:
            return True
        names = self._names
        for c in caps:
            if type(c) is str and names.get(c) == dst:
                return True
        return False

    def _deliverable(self, t, dst):
        # The destination TCB, or None after failing t with the right error.
        d = self._task(dst)
        if d is None:
            self._fail(t, Dead(dst))
            return None
        caps = t[_CAPS]
        if caps is not None and not self._allowed(caps, dst):
            self._fail(t, Denied(dst))
            return None
        return d

    def _refuse(self, t, d, dst):
        # The inline call path cannot go ahead: a call to oneself, or Dead / Denied
        # exactly as for send.
        if d is t:
            self._fail(t, IPCError("call to self would never return"))
        else:
            self._deliverable(t, dst)

    def _now_awaits_reply(self, server, cid):
        # The server has taken call cid from its mailbox: send-blocked -> reply-blocked.
        c = self._task(cid & TID_MASK)
        if c is not None and c[_STATE] == _CALL_QUEUED and c[_CALL_ID] == cid:
            c[_STATE] = _CALL_HELD

    # --- mailboxes ------------------------------------------------------------------

    def _enqueue(self, d, sender, msg):
        # Append to d's mailbox ring; False when it is full.
        n = d[_MBOX_COUNT]
        cap = (len(d) - _MBOX) >> 1
        if n == cap:
            return False
        i = _MBOX + 2 * ((d[_MBOX_HEAD] + n) % cap)
        d[i] = sender
        d[i + 1] = msg
        d[_MBOX_COUNT] = n + 1
        return True

    def _unqueue(self, d, sender):
        # Remove the queued message from sender (rare: a call that timed out unreceived).
        n = d[_MBOX_COUNT]
        cap = (len(d) - _MBOX) >> 1
        h = d[_MBOX_HEAD]
        kept = []
        for k in range(n):
            i = _MBOX + 2 * ((h + k) % cap)
            if d[i] != sender:
                kept.append((d[i], d[i + 1]))
            d[i] = d[i + 1] = None
        d[_MBOX_HEAD] = 0
        d[_MBOX_COUNT] = 0
        for s, m in kept:
            self._enqueue(d, s, m)

    def _sys_send(self, t, sc):
        dst, msg, timeout = sc.a, sc.b, sc.c
        d = self._deliverable(t, dst)
        if d is None:
            return None
        tid = t[_TID]
        if d[_STATE] == _RECV:
            self._wake(d, (tid, msg))
        elif not self._enqueue(d, tid, msg):
            if timeout == 0:
                self._fail(t, Full(dst))
                return None
            # Wait for room: the receiver takes the message in when it makes some.
            t[_STATE] = _WAIT_ROOM
            t[_WAITS_ON] = dst
            self._ext(t)[_X_PENDING] = msg
            x = self._ext(d)
            if x[_X_ROOM_WAITERS] is None:
                x[_X_ROOM_WAITERS] = []
            x[_X_ROOM_WAITERS].append(t)
            if timeout is not None:
                self._timer_add(t, timeout)
            return BLOCKED
        self._sent(t, d)
        return None

    def _sent(self, t, d):
        t[_MSGS_OUT] += 1
        d[_MSGS_IN] += 1
        self._tr.log(EV_SEND, t[_TID], d[_TID])

    def _room(self, d):
        # d took a message: the first sender still waiting for room puts its own in.
        waiters = d[_EXTRA][_X_ROOM_WAITERS]
        while waiters:
            w = waiters.pop(0)
            if w[_STATE] == _WAIT_ROOM and w[_WAITS_ON] == d[_TID]:
                x = w[_EXTRA]
                self._enqueue(d, w[_TID], x[_X_PENDING])
                x[_X_PENDING] = None
                self._sent(w, d)
                self._wake(w, None)
                return

    def _room_gone(self, t, err):
        # t ends, or a waiter's wait ends: wake those waiting for room in t with err.
        x = t[_EXTRA]
        if x is not None and x[_X_ROOM_WAITERS]:
            for w in x[_X_ROOM_WAITERS]:
                if w[_STATE] == _WAIT_ROOM and w[_WAITS_ON] == t[_TID]:
                    w[_EXTRA][_X_PENDING] = None
                    self._wake_fail(w, err(t[_TID]))
            x[_X_ROOM_WAITERS] = None

    # --- notifications and kernel messages ---------------------------------------------

    def _kernel_message(self, t):
        # What recv delivers before mailbox messages: pending notification bits, then
        # kernel messages (monitor "down"). None when there is neither.
        b = t[_NOTES]
        if b:
            t[_NOTES] = 0
            return (KERNEL, b)
        x = t[_EXTRA]
        if x is not None and x[_X_KMSGS]:
            return (KERNEL, x[_X_KMSGS].pop(0))
        return None

    def _notify(self, d, bits):
        if d[_STATE] == _RECV:
            self._wake(d, (KERNEL, d[_NOTES] | bits))
            d[_NOTES] = 0
        else:
            d[_NOTES] |= bits

    def _sys_notify(self, t, sc):
        d = self._deliverable(t, sc.a)
        if d is not None:
            self._notify(d, sc.b)
            self._tr.log(EV_NOTIFY, t[_TID], sc.a)
        return None

    def _post(self, d, msg):
        # A kernel message (monitor "down"): never dropped, kept outside the mailbox.
        if d[_STATE] == _RECV:
            self._wake(d, (KERNEL, msg))
            return
        x = self._ext(d)
        if x[_X_KMSGS] is None:
            x[_X_KMSGS] = []
        x[_X_KMSGS].append(msg)

    # --- names and monitors -------------------------------------------------------------

    def _sys_register(self, t, sc):
        name = sc.a
        old = self._names.get(name)
        if old is not None and old != t[_TID] and self._task(old) is not None:
            self._fail(t, IPCError("name %r is taken" % (name,)))
            return None
        tid = t[_TID]
        self._names[name] = tid
        waiters = self._name_waiters.pop(name, None)
        if waiters:
            for w in waiters:
                if w[_STATE] == _LOOKUP:
                    self._wake(w, tid)
        return None

    def _sys_lookup(self, t, sc):
        tid = self._names.get(sc.a)
        if tid is not None:
            return tid
        if sc.b == 0:
            self._fail(t, Timeout("lookup " + str(sc.a)))
            return None
        t[_STATE] = _LOOKUP
        t[_WAITS_ON] = sc.a
        self._name_waiters.setdefault(sc.a, []).append(t)
        if sc.b is not None:
            self._timer_add(t, sc.b)
        return BLOCKED

    def _sys_monitor(self, t, sc):
        d = self._task(sc.a)
        if d is None:
            self._post(t, ("down", sc.a, "noproc"))
            return None
        x = self._ext(d)
        if x[_X_WATCHERS] is None:
            x[_X_WATCHERS] = []
        else:                                  # forget watchers that have ended
            x[_X_WATCHERS][:] = [w for w in x[_X_WATCHERS] if self._task(w) is not None]
        x[_X_WATCHERS].append(t[_TID])
        return None

    # --- lent priority --------------------------------------------------------------------

    def _lend(self, d, prio):
        # A caller of higher priority waits on d: d runs at that priority until it has
        # answered every call that needs it (_unlend).
        x = self._ext(d)
        if x[_X_BASE_PRIO] is None:
            x[_X_BASE_PRIO] = d[_PRIO]
        queued = d[_STATE] <= _THROW and self._unready(d)
        d[_PRIO] = prio
        if queued:
            self._ready_keep(d)

    def _unlend(self, t):
        # t replied: it keeps the priority of the callers still waiting on it (queued or
        # held), else goes back to its own.
        x = t[_EXTRA]
        want = x[_X_BASE_PRIO]
        tid = t[_TID]
        n = t[_MBOX_COUNT]
        cap = (len(t) - _MBOX) >> 1
        for k in range(n):
            s = t[_MBOX + 2 * ((t[_MBOX_HEAD] + k) % cap)]
            c = self._task(~s & TID_MASK) if s is not None and s < 0 else None
            if c is not None and c[_PRIO] > want:
                want = c[_PRIO]
        for c in self._slots:
            if type(c) is list and c[_STATE] == _CALL_HELD and c[_WAITS_ON] == tid and c[_PRIO] > want:
                want = c[_PRIO]
        if want == x[_X_BASE_PRIO]:
            x[_X_BASE_PRIO] = None
        t[_PRIO] = want
