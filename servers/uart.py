# uart: serial ports, each opened by one client at a time (a byte stream has one reader).
# Reads never block the server: read returns what has arrived (b"" when nothing has);
# clients poll, or sleep between reads.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, NOENT, BADREQ, DENIED
from servers.lib import claims
from servers.api.uart import PROTOCOL


MAX_READ = 512


class Uart:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        self.ports = {}                 # bus -> [machine.UART, owner]
        self.watch = claims.Watch()

    def _id(self, bus):
        if bus == -1:
            return min(self.board.UART)
        if bus not in self.board.UART:
            raise ServerError(NOENT, "no UART %d on %s" % (bus, self.board.NAME))
        return bus

    def _port(self, sender, bus):
        bus = self._id(bus)
        p = self.ports.get(bus)
        if p is None:
            raise ServerError(NOENT, "UART %d is not open" % bus)
        if p[1] != sender:
            raise ServerError(DENIED, "UART %d belongs to task %d" % (bus, p[1]))
        return bus, p[0]

    def op_open(self, sender, bus, baudrate, bits, parity, stop):
        bus = self._id(bus)
        if baudrate <= 0 or bits not in (7, 8, 9) or parity not in (None, 0, 1) or stop not in (1, 2):
            raise ServerError(BADREQ, "baudrate > 0, bits 7..9, parity None/0/1, stop 1/2")
        yield from claims.claim("uart:%d" % bus, sender)     # BUSY if another client has it
        pins = hal.bus_pins(self.board, "uart", bus)
        for p in pins:
            yield from claims.claim("pin:" + p, sender)
        old = self.ports.get(bus)
        if old is None:
            u = hal.uart(self.board, bus, baudrate, bits, parity, stop)
        else:
            u = old[0]
            u.init(baudrate, bits, parity, stop)
        self.ports[bus] = [u, sender]
        yield from self.watch.add(sender)
        return bus

    def op_close(self, sender, bus):
        bus, _ = self._port(sender, bus)
        self._close(bus)
        yield from claims.release("uart:%d" % bus, sender)
        for p in hal.bus_pins(self.board, "uart", bus):
            yield from claims.release("pin:" + p, sender)
        return True

    def op_write(self, sender, data, bus):
        return self._port(sender, bus)[1].write(data)

    def op_read(self, sender, n, bus):
        u = self._port(sender, bus)[1]
        n = MAX_READ if n < 0 or n > MAX_READ else n
        return u.read(n) or b""

    def op_any(self, sender, bus):
        return self._port(sender, bus)[1].any()

    def op_buses(self, sender):
        return sorted(self.board.UART)

    def _close(self, bus):
        # The claims themselves end with the client or this server (or op_close frees them).
        u, owner = self.ports.pop(bus)
        try:
            u.deinit()
        except (OSError, AttributeError):
            pass

    def on_kernel(self, msg):
        gone = self.watch.down(msg)
        if gone is not None:
            for bus in [b for b, p in self.ports.items() if p[1] == gone]:
                self._close(bus)

    def close(self):
        for bus in list(self.ports):
            self._close(bus)


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="uart", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, Uart(board_of(c["board"]), me), name)


