# i2c: the board's I2C buses, shared by all clients one transaction at a time. The server
# holds each bus it opens (and its pins, so gpio cannot hand them out). A bus error
# (NACK, timeout, stuck SDA) comes back as an ("err", "io", ...) reply and the bus is
# recovered (clocked free and set up again) before the next transaction.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, IO, NOENT, BADREQ
from servers.lib import claims
from servers.api.i2c import PROTOCOL


MAX_READ = 256


class I2c:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        self.buses = {}           # id -> machine.I2C
        self.broken = set()       # buses to recover before their next use
        self.transactions = 0
        self.errors = 0
        self.recoveries = 0

    def _bus(self, bus):
        # Generator: the bus, opened (and claimed for this server) at its first use and
        # recovered after an error.
        b = self.buses.get(bus)
        if b is None or bus in self.broken:
            if bus not in self.board.I2C:
                raise ServerError(NOENT, "no I2C bus %d on %s" % (bus, self.board.NAME))
            if b is None:
                yield from claims.claim("i2c:%d" % bus, self.me)
                for p in hal.bus_pins(self.board, "i2c", bus):
                    yield from claims.claim("pin:" + p, self.me)
                b = hal.i2c(self.board, bus)
            else:
                b = hal.i2c_recover(self.board, bus)
                self.recoveries += 1
            self.broken.discard(bus)
            self.buses[bus] = b
        return b

    def _io(self, bus, fn, *args):
        # Generator (the handlers return it): one transaction, counted.
        b = yield from self._bus(bus)
        self.transactions += 1
        try:
            return fn(b, *args)
        except OSError as e:
            self.errors += 1
            self.broken.add(bus)
            code = e.args[0] if e.args else 0
            what = {5: "no ACK (EIO)", 19: "no device (ENODEV)", 110: "bus timeout"}.get(code, str(e))
            raise ServerError(IO, "bus %d: %s" % (bus, what))

    @staticmethod
    def _addr(addr):
        if not 0 <= addr <= 0x7F:
            raise ServerError(BADREQ, "address must be 0..0x7f")

    def op_scan(self, sender, bus):
        return self._io(bus, lambda b: list(b.scan()))

    def op_read(self, sender, addr, n, bus):
        self._addr(addr)
        if not 0 < n <= MAX_READ:
            raise ServerError(BADREQ, "n must be 1..%d" % MAX_READ)
        return self._io(bus, lambda b: bytes(b.readfrom(addr, n)))

    def op_write(self, sender, addr, data, bus):
        self._addr(addr)
        return self._io(bus, lambda b: b.writeto(addr, data))

    def op_readmem(self, sender, addr, reg, n, bus, addrsize):
        self._addr(addr)
        if not 0 < n <= MAX_READ or addrsize not in (8, 16):
            raise ServerError(BADREQ, "n must be 1..%d, addrsize 8 or 16" % MAX_READ)
        return self._io(bus, lambda b: bytes(b.readfrom_mem(addr, reg, n, addrsize=addrsize)))

    def op_writemem(self, sender, addr, reg, data, bus, addrsize):
        self._addr(addr)
        if addrsize not in (8, 16):
            raise ServerError(BADREQ, "addrsize must be 8 or 16")
        yield from self._io(bus, lambda b: b.writeto_mem(addr, reg, data, addrsize=addrsize))
        return True

    def op_buses(self, sender):
        return sorted(self.board.I2C)

    def op_stats(self, sender):
        return {"transactions": self.transactions, "errors": self.errors,
                "recoveries": self.recoveries}


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="i2c", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, I2c(board_of(c["board"]), me), name)


