# spi: the board's SPI buses, shared by all clients one transfer at a time (chip selects
# are ordinary pins, claimed through gpio). The server holds each bus it opens and its pins.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, NOENT, BADREQ
from servers.lib import claims
from servers.api.spi import PROTOCOL


MAX_LEN = 1024


class Spi:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        self.buses = {}                  # id -> machine.SPI
        self.conf = {}                   # id -> (baudrate, polarity, phase)

    def _id(self, bus):
        if bus == -1:
            return min(self.board.SPI)
        if bus not in self.board.SPI:
            raise ServerError(NOENT, "no SPI bus %d on %s" % (bus, self.board.NAME))
        return bus

    def _bus(self, bus):
        # Generator: the bus, opened (and claimed for this server) at its first use.
        bus = self._id(bus)
        b = self.buses.get(bus)
        if b is None:
            yield from claims.claim("spi:%d" % bus, self.me)
            for p in hal.bus_pins(self.board, "spi", bus):
                yield from claims.claim("pin:" + p, self.me)
            b = self.buses[bus] = hal.spi(self.board, bus, *self.conf.get(bus, (1000000, 0, 0)))
        return b

    @staticmethod
    def _len(n):
        if not 0 < n <= MAX_LEN:
            raise ServerError(BADREQ, "length must be 1..%d" % MAX_LEN)

    def op_transfer(self, sender, data, bus):
        self._len(len(data))
        rbuf = bytearray(len(data))
        b = yield from self._bus(bus)
        b.write_readinto(data, rbuf)
        return bytes(rbuf)

    def op_write(self, sender, data, bus):
        self._len(len(data))
        b = yield from self._bus(bus)
        b.write(data)
        return len(data)

    def op_read(self, sender, n, bus, fill):
        self._len(n)
        buf = bytearray(n)
        b = yield from self._bus(bus)
        b.readinto(buf, fill & 0xFF)
        return bytes(buf)

    def op_configure(self, sender, baudrate, bus, polarity, phase):
        if baudrate <= 0 or polarity not in (0, 1) or phase not in (0, 1):
            raise ServerError(BADREQ, "baudrate > 0, polarity and phase 0 or 1")
        bus = self._id(bus)
        self.conf[bus] = (baudrate, polarity, phase)
        old = self.buses.pop(bus, None)
        if old is not None:
            old.deinit()
        yield from self._bus(bus)
        return True

    def op_buses(self, sender):
        return sorted(self.board.SPI)

    def close(self):
        for b in self.buses.values():
            try:
                b.deinit()
            except Exception:
                pass                     # the claims end with this server


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="spi", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, Spi(board_of(c["board"]), me), name)


