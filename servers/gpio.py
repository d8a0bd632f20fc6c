# gpio: pins by logical name, exclusively claimed by one client each; reads, writes and
# edge subscriptions. The pin IRQ handler allocates nothing: it stamps the time, counts
# the edge in a preallocated slot and raises a notification bit to this server, which
# then sends ("edge", pin, level, t_us, edges) to the subscriber.
import kernel
from kernel import port
import hal
from servers.lib.base import serve, configure, board_of, ServerError, BADREQ, NOENT, DENIED, QUOTA
from servers.lib import claims
from servers.api.gpio import PROTOCOL


MAX_SUBS = 24              # notification bits stay small ints on every port
_EDGES = {"rising": (True, False), "falling": (False, True), "both": (True, True)}
_MASK = 0x3FFFFFFF


class _EdgeHandler:
    # One per subscription slot, made up front. A hard IRQ handler must not allocate, and
    # MicroPython puts a bytecode frame of more than about 11 words on the heap: a closure
    # over seven cells already is one (found on the emulated RP2040: "MemoryError ... heap
    # is locked"), so the handler is a bound method of this small object instead.
    def __init__(self, irq, slot, t_irq, n_irq):
        self.irq = irq
        self.bit = 1 << slot
        self.slot = slot
        self.t = t_irq
        self.n = n_irq

    def fire(self, pin):           # interrupt context: no allocation
        s = self.slot
        self.t[s] = port.ticks_us()
        self.n[s] = (self.n[s] + 1) & _MASK
        self.irq.notify(self.bit)


class Gpio:
    def __init__(self, board, me, irq):
        # irq: this server's interrupt handle (kernel.handle), one bit per slot.
        self.board = board
        self.me = me
        self.irq = irq
        self.pins = {}                  # canonical name -> [machine.Pin, owner, mode, slot]
        self.watch = claims.Watch()
        # Interrupt state, preallocated: one slot per subscription.
        self.slot_pin = [None] * MAX_SUBS
        self.slot_sub = [0] * MAX_SUBS
        self.t_irq = [0] * MAX_SUBS
        self.n_irq = [0] * MAX_SUBS
        self.n_seen = [0] * MAX_SUBS
        self.handlers = [self._make_handler(i) for i in range(MAX_SUBS)]
        self.dropped = 0                # events a full subscriber mailbox refused

    def _make_handler(self, slot):
        return _EdgeHandler(self.irq, slot, self.t_irq, self.n_irq).fire

    def _own(self, sender, pin):
        try:
            name = hal.canonical(self.board, pin)
        except ValueError as e:
            raise ServerError(NOENT, str(e))
        rec = self.pins.get(name)
        if rec is None:
            raise ServerError(NOENT, "%s is not claimed; claim it first" % name)
        if rec[1] != sender:
            raise ServerError(DENIED, "%s belongs to task %d" % (name, rec[1]))
        return name, rec

    def op_claim(self, sender, pin, mode, pull, value):
        try:
            name = hal.canonical(self.board, pin)
        except ValueError as e:
            raise ServerError(NOENT, str(e))
        if mode not in hal.MODES or pull not in hal.PULLS:
            raise ServerError(BADREQ, "mode is in/out/od, pull is None/up/down")
        yield from claims.claim("pin:" + name, sender)     # BUSY if another task holds it
        rec = self.pins.get(name)
        if rec is not None:
            self._unsubscribe(rec)
        p = hal.pin(self.board, name, mode, pull, value if mode != hal.IN else None)
        self.pins[name] = [p, sender, mode, -1]
        yield from self.watch.add(sender)
        return name

    def op_release(self, sender, pin):
        name, rec = self._own(sender, pin)
        self._drop(name, rec)
        yield from claims.release("pin:" + name, sender)
        return True

    def op_mode(self, sender, pin, mode, pull):
        name, rec = self._own(sender, pin)
        if mode not in hal.MODES or pull not in hal.PULLS:
            raise ServerError(BADREQ, "mode is in/out/od, pull is None/up/down")
        hal.set_mode(rec[0], mode, pull)
        rec[2] = mode
        return True

    def op_read(self, sender, pin):
        return self._own(sender, pin)[1][0].value()

    def op_write(self, sender, pin, value):
        self._own(sender, pin)[1][0].value(1 if value else 0)
        return True

    def op_toggle(self, sender, pin):
        p = self._own(sender, pin)[1][0]
        v = 0 if p.value() else 1
        p.value(v)
        return v

    def op_subscribe(self, sender, pin, edge):
        name, rec = self._own(sender, pin)
        e = _EDGES.get(edge)
        if e is None:
            raise ServerError(BADREQ, "edge is rising, falling or both")
        slot = rec[3]
        if slot < 0:
            try:
                slot = self.slot_pin.index(None)
            except ValueError:
                raise ServerError(QUOTA, "at most %d pins with subscriptions" % MAX_SUBS)
        self.slot_pin[slot] = name
        self.slot_sub[slot] = sender
        self.n_seen[slot] = self.n_irq[slot]
        rec[3] = slot
        hal.pin_irq(self.board, rec[0], self.handlers[slot], e[0], e[1])
        return True

    def op_unsubscribe(self, sender, pin):
        name, rec = self._own(sender, pin)
        if rec[3] < 0:
            raise ServerError(NOENT, "no subscription on %s" % name)
        self._unsubscribe(rec)
        return True

    def op_pins(self, sender):
        return [(n, r[1], r[2]) for n, r in sorted(self.pins.items())]

    def _unsubscribe(self, rec):
        slot = rec[3]
        if slot >= 0:
            hal.pin_irq_off(rec[0])
            self.slot_pin[slot] = None
            self.slot_sub[slot] = 0
            rec[3] = -1

    def _drop(self, name, rec):
        # The claim itself ends with the client or this server (or op_release frees it).
        self._unsubscribe(rec)
        del self.pins[name]

    def on_kernel(self, msg):
        if type(msg) is int:
            return self._deliver(msg)
        gone = self.watch.down(msg)
        if gone is not None:
            for name, rec in list(self.pins.items()):
                if rec[1] == gone:
                    self._drop(name, rec)
        return None

    def _deliver(self, bits):
        # Turn the notification bits raised by on_edge into one event per pin.
        slot = 0
        while bits:
            if bits & 1 and self.slot_pin[slot] is not None:
                n = (self.n_irq[slot] - self.n_seen[slot]) & _MASK
                self.n_seen[slot] = self.n_irq[slot]
                name = self.slot_pin[slot]
                rec = self.pins.get(name)
                if n and rec is not None:
                    ev = ("edge", name, rec[0].value(), self.t_irq[slot], n)
                    try:
                        yield kernel.send(self.slot_sub[slot], ev)
                    except kernel.Full:
                        self.dropped += 1
                    except kernel.IPCError:    # subscriber gone (Dead) or not allowed
                        self._unsubscribe(rec)
            bits >>= 1
            slot += 1

    def close(self):
        for name, rec in list(self.pins.items()):
            try:
                self._drop(name, rec)
            except Exception:
                pass


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="gpio", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield kernel.claim("irq:pin", me)      # pin interrupts are routed here (the image's irqs)
    irq = yield kernel.handle((1 << MAX_SUBS) - 1)
    yield from serve(PROTOCOL, Gpio(board_of(c["board"]), me, irq), name)


