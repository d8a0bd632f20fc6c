"""The first round trip of `mpk deploy`, on mpremote's SerialTransport, made cheap.

Every deploy starts the same way: stop the board (Ctrl-C), enter the raw REPL, run one
script that reads the board (host_tools/agent/scan.py). When nothing changed, that is also the
last thing it does before letting the system run again, so this path sets the speed of
a no-change deploy. It uses mpremote's own SerialTransport (its raw REPL and raw-paste
code), opened as everywhere else (board_conn.open_transport, which skips mpremote's
package __init__: an importlib.metadata lookup of ~30 ms), with one measured adjustment:
the serial port is read through a small buffer, because SerialTransport.read_until()
asks for one byte per call and each would otherwise be a system call.
"""
from host_tools.board_conn import Board, BoardGone, open_transport


class BufferedSerial:
    """A pyserial port whose read(n) takes everything already waiting in one call and
    serves later reads from that buffer. Everything else goes to the port itself."""

    def __init__(self, port):
        object.__setattr__(self, "_port", port)
        object.__setattr__(self, "_buf", b"")

    def __getattr__(self, name):
        return getattr(self._port, name)

    def __setattr__(self, name, value):
        setattr(self._port, name, value)

    def inWaiting(self):
        return len(self._buf) + self._port.in_waiting

    @property
    def in_waiting(self):
        return self.inWaiting()

    def read(self, n=1):
        buf = self._buf
        while len(buf) < n:
            more = self._port.read(max(n - len(buf), self._port.in_waiting))
            if not more:
                break                        # the port's timeout: return what there is
            buf += more
        object.__setattr__(self, "_buf", buf[n:])
        return buf[:n]


class QuickRepl(Board):
    """A Board for the deploy's first round trip: reads through BufferedSerial, short waits
    for the raw REPL, and resume(). `with QuickRepl(port) as q:` q.enter_raw();
    q.exec(code); then q.resume(code) or q.soft_reset()."""

    def __init__(self, port, timeout=2.0):
        super().__init__(port, open_transport(port, timeout))
        self.timeout = timeout
        self.t.serial = BufferedSerial(self.t.serial)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def enter_raw(self):
        """Ctrl-C (the firmware's console stops the kernel, keeping its state), Ctrl-A."""
        Board.enter_raw(self, soft_reset=False, timeout_overall=self.timeout / 3)

    def resume(self, code):
        """Leave the raw REPL and type `code` (which resumes the stopped system) at the REPL."""
        doing = "resuming the system"
        with self.guard(doing):
            self.t.exit_raw_repl()
            if not self.t.read_until(4, b">>> ", timeout=self.timeout).endswith(b">>> "):
                raise BoardGone("board on %s stopped answering while %s (no REPL prompt)" % (self.port, doing))
            self.t.serial.write(code.encode() + b"\r")
            if not self.t.read_until(1, b"\n", timeout=self.timeout).endswith(b"\n"):
                raise BoardGone("board on %s stopped answering while %s (the REPL did not take the line)"
                                % (self.port, doing))

    def soft_reset(self):
        """Leave the raw REPL and soft-reset: boot.py and main.py run again. The deploy
        is over by then, so a board that does not take it is not an error here."""
        try:
            Board.soft_reset(self)
        except BoardGone:
            pass
