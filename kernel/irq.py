# Interrupts: a handler never allocates and never touches the kernel's structures. It
# writes (tid, bits) into a preallocated ring, which the scheduler drains into
# notifications. A task gets a Handle for its handlers from the `handle` system call.
from kernel.errors import Dead
from kernel.tcb import NAME, RUN, SLICES, STATE, TID, const
from kernel.trace import EV_IRQ_LOST

_IRQ_RING = const(32)                    # power of two


class Handle:
    # Made by `yield kernel.handle(bits, dst)`: notify() raises those bits (or the ones of
    # them it is given) on dst (from an interrupt handler: no allocation); running()
    # tells whether its kernel's loop runs, holder() which task holds the CPU (the
    # board's watchdog keeper asks).
    def __init__(self, k, tid, bits):
        self._k = k
        self._tid = tid
        self._bits = bits

    def notify(self, bits=-1):
        return self._k.irq_notify(self._tid, bits & self._bits)

    def running(self):
        return self._k._in_run

    def holder(self):
        # (name, slice number) of the task in the middle of a slice, or None: the keeper
        # asks, to name a task that stops yielding before the watchdog resets the board.
        k = self._k
        t = k._cur
        if t is None or not k._in_run or t[STATE] != RUN:
            return None
        return t[NAME], t[SLICES]


class Irq:
    def __init__(self):
        self._irq_tid = [0] * _IRQ_RING
        self._irq_bits = [0] * _IRQ_RING
        self._irq_w = 0
        self._irq_r = 0
        self._irq_lost = 0

    def _sys_handle(self, t, sc):
        # For the caller itself, or for a task it may notify (checked now, once).
        if sc.b is None:
            return Handle(self, t[TID], sc.a)
        return None if self._deliverable(t, sc.b) is None else Handle(self, sc.b, sc.a)

    def irq_notify(self, tid, bits):
        # Safe from an interrupt handler: allocates nothing, touches only the ring.
        w = self._irq_w
        nw = (w + 1) & (_IRQ_RING - 1)
        if nw == self._irq_r:
            self._irq_lost += 1
            return False
        self._irq_tid[w] = tid
        self._irq_bits[w] = bits
        self._irq_w = nw
        self._flags[1] = True          # the loop drains the ring on its next pass
        return True

    def _drain_irqs(self):
        self._flags[1] = False         # (first: a handler that runs meanwhile sets it again)
        r = self._irq_r
        while r != self._irq_w:
            d = self._task(self._irq_tid[r])
            if d is not None:
                self._notify(d, self._irq_bits[r])
            r = (r + 1) & (_IRQ_RING - 1)
            self._irq_r = r
        if self._irq_lost:
            self._tr.log(EV_IRQ_LOST, 0, self._irq_lost)

    def notify(self, tid, bits):
        # Notify from outside any task (the REPL, host glue). Handlers use a Handle.
        d = self._task(tid)
        if d is None:
            raise Dead(tid)
        self._notify(d, bits)
