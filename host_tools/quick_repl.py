"""A small raw-REPL client on pyserial: the first round trip of `mpk deploy`.

Every deploy starts the same way: stop the board (Ctrl-C), enter the raw REPL, run
one script that reads the board (deploy.SCAN_CODE). When nothing changed, that is
also the last thing it does before letting the system run again, so this path sets
the speed of a no-change deploy. It runs here rather than through mpremote's
SerialTransport (which host_tools.board_conn uses for everything else, and the deploy
for every write) for two measured reasons:

  * importing the `mpremote` package costs ~30 ms of a ~20 ms interpreter start-up
    (its __init__ asks importlib.metadata for its version);
  * SerialTransport.read_until() reads one byte per call (and sleeps 10 ms whenever
    nothing is waiting on a non-pty port); this reads what is there in one call.

The protocol is MicroPython's raw REPL, with raw-paste when the board has it (as
SerialTransport does): Ctrl-A enters, `\\x05A\\x01` starts raw-paste, the board grants
windows of bytes with \\x01, \\x04 ends the code; the board answers stdout \\x04
stderr \\x04 then the `>` prompt.
"""
import time

import serial

from host_tools.board_conn import BoardExecError, BoardGone, _open_error

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"


class QuickRepl:
    """`with QuickRepl(port) as q:` q.enter_raw(); q.exec(code); then q.resume() or q.soft_reset()."""

    def __init__(self, port, timeout=2.0):
        self.port = port
        self.timeout = timeout
        self.buf = b""
        self.in_raw = False
        try:
            s = serial.serial_for_url(port, do_not_open=True, baudrate=115200, timeout=timeout,
                                      exclusive=True)
            s.open()
        except (serial.SerialException, OSError, ValueError) as e:
            raise _open_error(port, e) from None
        self.s = s

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- bytes ---------------------------------------------------------------------
    def _fail(self, doing, what):
        return BoardGone("board on %s stopped answering while %s (%s)" % (self.port, doing, what))

    def _read_until(self, ending, doing, timeout=None):
        """Bytes up to and including `ending` (what follows stays buffered)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        s = self.s
        while True:
            i = self.buf.find(ending)
            if i >= 0:
                i += len(ending)
                out, self.buf = self.buf[:i], self.buf[i:]
                return out
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(doing, "timeout")
            try:
                s.timeout = left
                data = s.read(max(1, s.in_waiting))
            except (serial.SerialException, OSError, ValueError, TypeError) as e:
                raise BoardGone("board on %s disappeared or reset while %s (%s)"
                                % (self.port, doing, str(e).strip().splitlines()[-1] if str(e).strip()
                                   else type(e).__name__)) from None
            self.buf += data

    def _read_exact(self, n, doing):
        while len(self.buf) < n:
            try:
                self.s.timeout = self.timeout
                data = self.s.read(max(n - len(self.buf), self.s.in_waiting))
            except (serial.SerialException, OSError, ValueError, TypeError) as e:
                raise BoardGone("board on %s disappeared or reset while %s (%s)"
                                % (self.port, doing, type(e).__name__)) from None
            if not data:
                raise self._fail(doing, "timeout")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _write(self, data, doing):
        try:
            self.s.write(data)
        except (serial.SerialException, OSError, ValueError, TypeError) as e:
            raise BoardGone("board on %s disappeared or reset while %s (%s)"
                            % (self.port, doing, type(e).__name__)) from None

    # --- raw REPL ------------------------------------------------------------------
    def enter_raw(self, timeout=None, attempts=3):
        """Ctrl-C (the firmware's console stops the kernel, keeping its state), Ctrl-A.

        Sent again if no raw-REPL prompt comes (a board in the middle of a soft reset
        may drop what arrives meanwhile), as Board.enter_raw() retries.
        """
        doing = "entering the raw REPL"
        wait = (self.timeout if timeout is None else timeout) / attempts
        for attempt in range(attempts):
            self._write(b"\r\x03", doing)
            self.buf = b""
            try:
                n = self.s.in_waiting
                if n:
                    self.s.read(n)
            except (serial.SerialException, OSError) as e:
                raise BoardGone("board on %s disappeared (%s)" % (self.port, type(e).__name__)) from None
            self._write(b"\r\x01", doing)
            try:
                self._read_until(RAW_BANNER + b">", doing, wait)
            except BoardGone:
                if attempt == attempts - 1:
                    raise
                continue
            self.in_raw = True
            return

    def exec(self, code, timeout=10):
        """Run code; returns its stdout (bytes). A board-side exception is a BoardExecError."""
        doing = "running code"
        data = code.encode() if isinstance(code, str) else code
        self._write(b"\x05A\x01", doing)
        answer = self._read_exact(2, doing)
        if answer == b"R\x01":
            window = int.from_bytes(self._read_exact(2, doing), "little")
            remain, i, aborted = window, 0, False
            while i < len(data) and not aborted:
                while remain == 0 or self.buf or self.s.in_waiting:
                    c = self._read_exact(1, doing)
                    if c == b"\x01":  # one more window granted
                        remain += window
                    elif c == b"\x04":  # the board ended the paste early: acknowledge
                        self._write(b"\x04", doing)
                        aborted = True
                        break
                    else:
                        raise self._fail(doing, "unexpected %r during raw paste" % c)
                if not aborted:
                    chunk = data[i:i + remain]
                    self._write(chunk, doing)
                    remain -= len(chunk)
                    i += len(chunk)
            if not aborted:
                self._write(b"\x04", doing)
                self._read_until(b"\x04", doing)
        else:
            if answer != b"R\x00":  # no raw-paste at all: the prompt is printed again
                self._read_until(b"w REPL; CTRL-B to exit\r\n>", doing)
            for i in range(0, len(data), 256):
                self._write(data[i:i + 256], doing)
                time.sleep(0.01)
            self._write(b"\x04", doing)
            if self._read_exact(2, doing) != b"OK":
                raise self._fail(doing, "the raw REPL did not accept the code")
        out = self._read_until(b"\x04", doing, timeout)[:-1]
        err = self._read_until(b"\x04", doing, timeout)[:-1]
        self._read_until(b">", doing)
        if err:
            raise BoardExecError(err.decode("utf-8", "replace"))
        return out

    def resume(self, code):
        """Leave the raw REPL and type `code` (which resumes the stopped system) at the REPL."""
        doing = "resuming the system"
        self._write(b"\r\x02", doing)
        self.in_raw = False
        self._read_until(b">>> ", doing)
        self._write(code.encode() + b"\r", doing)
        self._read_until(b"\n", doing)  # the echo: the REPL took the line
        self.buf = b""

    def soft_reset(self):
        """Leave the raw REPL and soft-reset: boot.py and main.py run again."""
        self._write(b"\r\x02\x04" if self.in_raw else b"\x04", "soft-resetting")
        self.in_raw = False
        try:
            self.s.flush()
        except (serial.SerialException, OSError):
            pass

    def close(self):
        try:
            if self.in_raw:
                self.s.write(b"\r\x02")
                self.in_raw = False
        except Exception:
            pass
        try:
            # As SerialTransport.close(): RTS/DTR low first (an ESP32 is not reset on some drivers).
            self.s.rts = False
            self.s.dtr = False
        except (OSError, serial.SerialException):
            pass
        try:
            self.s.close()
        except Exception:
            pass
