"""The first round trip of `mpk deploy`, on mpremote's SerialTransport, made cheap.

Every deploy starts the same way: stop the board (Ctrl-C), enter the raw REPL, run one
script that reads the board (deploy.SCAN_CODE). When nothing changed, that is also the
last thing it does before letting the system run again, so this path sets the speed of
a no-change deploy. It uses mpremote's own SerialTransport (its raw REPL and raw-paste
code), opened as everywhere else (board_conn.open_transport, which skips mpremote's
package __init__: an importlib.metadata lookup of ~30 ms), with one measured adjustment:
the serial port is read through a small buffer, because SerialTransport.read_until()
asks for one byte per call and each would otherwise be a system call.
"""
import contextlib
import io

import serial

from host_tools.board_conn import BoardExecError, BoardGone, open_transport


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


class QuickRepl:
    """`with QuickRepl(port) as q:` q.enter_raw(); q.exec(code); then q.resume() or q.soft_reset()."""

    def __init__(self, port, timeout=2.0):
        self.port = port
        self.timeout = timeout
        self.in_raw = False
        self.t = open_transport(port, timeout)
        from mpremote.transport import TransportError

        self._errors = (TransportError, serial.SerialException, OSError, ValueError, TypeError)
        self.t.serial = BufferedSerial(self.t.serial)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _gone(self, doing, e):
        text = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        return BoardGone("board on %s stopped answering while %s (%s)" % (self.port, doing, text))

    def enter_raw(self, attempts=3):
        """Ctrl-C (the firmware's console stops the kernel, keeping its state), Ctrl-A.
        Tried again if no raw-REPL prompt comes: a board in the middle of a soft reset
        may drop what arrives meanwhile."""
        for attempt in range(attempts):
            try:
                # mpremote prints what it got when it cannot enter: keep that off our stdout
                with contextlib.redirect_stdout(io.StringIO()):
                    self.t.enter_raw_repl(soft_reset=False, timeout_overall=self.timeout / attempts)
                self.in_raw = True
                return
            except self._errors as e:
                if attempt == attempts - 1:
                    raise self._gone("entering the raw REPL", e) from None

    def exec(self, code, timeout=10):
        """Run code; returns its stdout (bytes). A board-side exception is a BoardExecError."""
        from mpremote.transport import TransportExecError

        try:
            out, err = self.t.exec_raw(code, timeout=timeout)
        except TransportExecError as e:
            raise BoardExecError(e.error_output if hasattr(e, "error_output") else str(e)) from None
        except self._errors as e:
            raise self._gone("running code", e) from None
        if err:
            raise BoardExecError(err.decode("utf-8", "replace"))
        return out

    def resume(self, code):
        """Leave the raw REPL and type `code` (which resumes the stopped system) at the REPL."""
        try:
            self.t.exit_raw_repl()
            self.in_raw = False
            if not self.t.read_until(4, b">>> ", timeout=self.timeout).endswith(b">>> "):
                raise self._gone("resuming the system", "no REPL prompt")
            self.t.serial.write(code.encode() + b"\r")
            if not self.t.read_until(1, b"\n", timeout=self.timeout).endswith(b"\n"):
                raise self._gone("resuming the system", "the REPL did not take the line")
        except self._errors as e:
            raise self._gone("resuming the system", e) from None

    def soft_reset(self):
        """Leave the raw REPL and soft-reset: boot.py and main.py run again."""
        try:
            self.t.serial.write(b"\r\x02\x04" if self.in_raw else b"\x04")
            self.in_raw = False
            self.t.serial.flush()
        except self._errors:
            pass

    def close(self):
        try:
            if self.in_raw:
                self.t.serial.write(b"\r\x02")
                self.in_raw = False
        except Exception:
            pass
        try:
            self.t.close()                   # RTS/DTR low first, as mpremote does
        except Exception:
            pass
