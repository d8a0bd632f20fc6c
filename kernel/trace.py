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
        self.pos = [0]      # [next entry to write]: a list, which the loop reads cheaply

    def log(self, ev, tid, arg):
        b = self.buf
        pos = self.pos
        i = pos[0]
        b[i] = _ticks_us()
        b[i + 1] = ev
        b[i + 2] = tid
        b[i + 3] = arg
        i += 4
        pos[0] = i if i < len(b) else 0

    def iter(self):
        # Oldest first, an event at a time: (ticks_us, event name, tid, arg); unused slots
        # (event 0) skipped. Events recorded while it is read (by a task that yields
        # between two reads) overwrite the oldest: those are skipped, and the new ones
        # left out, so what is read stays in order.
        b = self.buf
        size = len(b)
        pos = self.pos
        i0 = pos[0]
        off = 0
        while off < self.size:
            written = ((pos[0] - i0) % size) >> 2      # entries written since it began
            if off < written:
                off = written
                continue
            j = (i0 + 4 * off) % size
            off += 1
            if b[j + 1]:
                yield (b[j], EVENT_NAMES[b[j + 1]], b[j + 2], b[j + 3])

    def events(self, n=None):
        # The same as a list, the last n of them.
        out = list(self.iter())
        if n is not None:
            out = out[-n:] if n > 0 else []
        return out
