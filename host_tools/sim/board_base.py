"""What both kinds of virtual board share (host_tools/sim/virtual_board.py, the unix port;
host_tools/sim/rp2040/board.py, the emulated RP2040): starting and stopping in a run
directory of their own, and their serial port's output: the bytes waiting for a slow
client (dropped when nobody reads, as a USB CDC port does), and the log of everything
the board printed, which tests wait on."""
import os
import re
import shutil
import tempfile
import threading
import time

OUT_MAX = 64 * 1024          # board output held for a slow client
STALL_DROP_S = 1.0           # then dropped, like a USB CDC port nobody reads
LOG_MAX = 4 * 1024 * 1024


class SimBoard:
    """The base of a virtual board: `with Board(...) as b:` or start()/stop(). Subclasses
    set RUN_PREFIX and write _setup() (called in a fresh self._run_dir) and stop(); their
    relay thread calls _board_output() with what the board sent and _flush_out() while
    there is some; self._serial is their SerialPort."""

    RUN_PREFIX = "mpk-board-"

    def start(self):
        self._run_dir = tempfile.mkdtemp(prefix=self.RUN_PREFIX)
        try:
            self._setup()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _release(self, fd_names):
        # What stop() frees on either engine: the port, the named file descriptors, the
        # flash image's lock and the run directory. Safe to call twice.
        if getattr(self, "_serial", None) is not None:
            self._serial.close()
            self._serial = None
        for name in fd_names:
            fd = getattr(self, name, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, name, None)
        if getattr(self, "flash", None) is not None:
            self.flash.close()
            self.flash = None
        if getattr(self, "_run_dir", None):
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None

    def _init_log(self):
        self._log = bytearray()
        self._log_cond = threading.Condition()
        self._outbuf = bytearray()
        self._stalled = None

    def output(self):
        """Everything the board sent on its serial port so far (bytes)."""
        with self._log_cond:
            return bytes(self._log)

    def clear_output(self):
        with self._log_cond:
            self._log.clear()

    def wait_output(self, pattern, timeout=5.0):
        """Wait until output() contains `pattern` (bytes or compiled regex); return output()."""
        deadline = time.monotonic() + timeout
        with self._log_cond:
            while True:
                found = (pattern.search(self._log) if isinstance(pattern, re.Pattern)
                         else pattern in self._log)
                if found:
                    return bytes(self._log)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"board did not print {pattern!r}; got {bytes(self._log[-300:])!r}")
                self._log_cond.wait(left)

    def _board_output(self, data):
        self._outbuf += data
        with self._log_cond:
            self._log += data
            if len(self._log) > LOG_MAX:
                del self._log[: len(self._log) - LOG_MAX]
            self._log_cond.notify_all()

    def _flush_out(self, writable):
        m = self._serial.master
        if writable:
            try:
                n = os.write(m, self._outbuf)
                del self._outbuf[:n]
                self._stalled = None
                return
            except BlockingIOError:
                pass
            except OSError:          # the port is being replaced (a re-enumeration)
                return
        if self._stalled is None:
            self._stalled = time.monotonic()
        elif len(self._outbuf) >= OUT_MAX and time.monotonic() - self._stalled > STALL_DROP_S:
            self._outbuf.clear()  # nobody is reading the port
            self._stalled = None
