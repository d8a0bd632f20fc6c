# timer: periodic and one-shot ticks delivered as notifications. The hardware timer's
# callback raises the client's notification bits itself, through an interrupt handle made
# for that client when the timer starts (kernel.handle: no allocation, safe in interrupt
# context), so a tick costs no message at all; the client sees (KERNEL, bits) from
# recv(), coalesced if it falls behind.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, NOENT, BADREQ, QUOTA, DENIED
from servers.lib import claims
from servers.api.timer import PROTOCOL


MAX_TIMERS = 16


class Timers:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        hw_slots = hal.timer_slots(board)
        self.n = MAX_TIMERS if hw_slots is None else min(MAX_TIMERS, hw_slots)
        self.slots = [None] * self.n     # [machine.Timer, owner, period, periodic]
        self.fired = [0] * self.n        # one-shots that have fired (set in the callback)
        self.watch = claims.Watch()

    def _make_cb(self, slot, irq, periodic):
        fired = self.fired

        def cb(t):                       # interrupt context: no allocation
            irq.notify()
            if not periodic:
                fired[slot] = 1

        return cb

    def _sweep(self):
        for i in range(self.n):
            if self.fired[i] and self.slots[i] is not None:
                self._free(i)

    def _start(self, sender, ms, bits, periodic):
        if ms <= 0 or not 0 < bits < (1 << 30):
            raise ServerError(BADREQ, "time must be > 0 ms, bits 1..2**30-1")
        self._sweep()
        try:
            i = self.slots.index(None)
        except ValueError:
            raise ServerError(QUOTA, "all %d timers are in use" % self.n)
        self.fired[i] = 0
        irq = yield kernel.handle(bits, sender)      # Denied if we may not notify sender
        t = hal.timer(self.board, i, ms, periodic, self._make_cb(i, irq, periodic))
        self.slots[i] = [t, sender, ms, periodic]
        yield from self.watch.add(sender)
        return i

    def op_periodic(self, sender, period_ms, bits):
        return self._start(sender, period_ms, bits, True)

    def op_oneshot(self, sender, delay_ms, bits):
        return self._start(sender, delay_ms, bits, False)

    def op_cancel(self, sender, id):
        if not 0 <= id < self.n or self.slots[id] is None:
            raise ServerError(NOENT, "no timer %d" % id)
        if self.slots[id][1] != sender:
            raise ServerError(DENIED, "timer %d belongs to task %d" % (id, self.slots[id][1]))
        self._free(id)
        return True

    def op_timers(self, sender):
        self._sweep()
        return [(i, s[1], s[2], s[3]) for i, s in enumerate(self.slots) if s is not None]

    def _free(self, i):
        s = self.slots[i]
        self.slots[i] = None
        self.fired[i] = 0
        s[0].deinit()

    def on_kernel(self, msg):
        gone = self.watch.down(msg)
        if gone is not None:
            for i, s in enumerate(self.slots):
                if s is not None and s[1] == gone:
                    self._free(i)

    def close(self):
        for i, s in enumerate(self.slots):
            if s is not None:
                self._free(i)


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="timer", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield kernel.claim("irq:timer", me)    # timer interrupts are routed here (the image's irqs)
    yield from serve(PROTOCOL, Timers(board_of(c["board"]), me), name)


