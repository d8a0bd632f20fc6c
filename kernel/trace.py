# The kernel's event trace: a ring preallocated at start, so recording an event on the
# IPC path allocates nothing. Each entry is four slots: (ticks_us, event, tid, arg).
# The scheduler writes call/reply entries inline (same layout) for speed.
from kernel import port

(EV_SPAWN, EV_SEND, EV_RECV, EV_CALL, EV_REPLY, EV_NOTIFY, EV_FAULT, EV_EXIT, EV_KILL,
 EV_TIMEOUT, EV_SLOW, EV_IRQ_LOST) = range(1, 13)

EVENT_NAMES = ("", "spawn", "send", "recv", "call", "reply", "notify", "fault", "exit",
               "kill", "timeout", "slow", "irq-lost")
PEER_EVENTS = ("send", "recv", "call", "reply", "notify")   # their arg is another task

_ticks_us = port.ticks_us


class TraceRing:
    def __init__(self, size):
        # size 0 disables tracing in effect: one scratch entry is overwritten forever.
        self.size = size
        self.buf = [0] * (4 * max(1, size))
        self.i = 0          # next entry to write

    def log(self, ev, tid, arg):
        b = self.buf
        i = self.i
        b[i] = _ticks_us()
        b[i + 1] = ev
        b[i + 2] = tid
        b[i + 3] = arg
        i += 4
        self.i = i if i < len(b) else 0

    def events(self, n=None):
        # Oldest first; each (ticks_us, event name, tid, arg). Unused slots (event 0)
        # are skipped.
        if not self.size:
            return []
        b = self.buf
        out = []
        k = self.i
        for _ in range(self.size):
            if b[k + 1]:
                out.append((b[k], EVENT_NAMES[b[k + 1]], b[k + 2], b[k + 3]))
            k += 4
            if k == len(b):
                k = 0
        if n is not None:
            out = out[-n:] if n > 0 else []
        return out
