"""VirtualBoard: a MicroPython board on a pseudo-terminal.

A relay thread moves bytes between the serial port the clients open and the
console tty of the MicroPython unix port running the board, and plays the parts
of the hardware that outlive the interpreter: it restarts it on soft reset
(keeping the REPL mode) and on hard reset (machine.reset(), the watchdog),
with the same flash and the same serial port, so clients never see the port go.
"""
import hashlib
import os
import select
import signal
import subprocess
import termios
import threading
import time

from host_tools.errors import MpkError
from host_tools.sim import boards, child, wiring as wiring_mod
from host_tools.sim.flash import FlashImage
from host_tools.sim.board_base import OUT_MAX, SimBoard
from host_tools.sim.serial_port import SerialPort

START_TIMEOUT_S = 10.0
BOOTLOADER_PAUSE_S = 0.5
HOLD_S = 0.5                # a Ctrl-C held back during an import longer than this is sent anyway
CTRL_C = 3


class VirtualBoard(SimBoard):
    """with VirtualBoard(flash=None, board="pico", wiring=None, link=None) as b: b.port

    flash: image path (created and formatted if missing; None: a temporary one);
    wiring: a wiring file path or dict (see host_tools/sim/wiring.py);
    heap: the interpreter's heap (e.g. "256k" for a Pico's free memory).
    """

    RUN_PREFIX = "mpk-sim-"

    def __init__(self, flash=None, board="pico", wiring=None, link=None, heap=None):
        self.board = boards.get(board)
        if heap:
            self.board["heap"] = str(heap)
        self.wiring = wiring_mod.load(wiring, self.board)
        self._flash_path = flash
        self._link = link
        self.port = None
        self.events = []          # what happened, in order: "power-on", "soft reset", ...
        self.error = None         # why the board stopped by itself, if it did
        self._init_log()
        self._thread = None
        self._proc = None
        self._ctl = None
        self._intr = None         # the interrupt pipe to the board (board/simcore.py)
        self._holding = False     # the board is in an import: Ctrl-C is held back
        self._held_at = None      # when a Ctrl-C was held back, until the board takes it
        self._started = False

    # --- lifecycle ----------------------------------------------------------------

    def _setup(self):
        self._mp = child.find_micropython()
        path = self._flash_path or os.path.join(self._run_dir, "flash.img")
        self.flash = FlashImage(path, self.board).open()
        self._uid = hashlib.sha256(self.flash.path.encode()).hexdigest()[:16]
        for spec in self.wiring["i2c"]:
            if spec["device"] == "24c32":  # EEPROM contents outlive resets
                spec["file"] = os.path.join(self._run_dir, "eeprom-%d-%02x.bin" % (spec["bus"], spec["addr"]))
                with open(spec["file"], "wb") as f:
                    f.write(b"\xff" * 4096)  # as delivered: erased
        try:
            self._serial = SerialPort(self._link)
        except OSError as e:
            raise MpkError(f"cannot create link {self._link}: {e.strerror}") from None
        self.port = self._serial.path
        self._cmaster, self._cslave = child.make_console_tty()
        self._console_attrs = termios.tcgetattr(self._cslave)
        self._wake_r, self._wake_w = os.pipe()
        self._inbuf = bytearray()
        self._mode = "friendly"
        self._cause = child.PWRON_RESET
        self._wdt_ms = None
        self._wdt_deadline = None
        self._restart_at = None
        self._requests = []
        self._up = threading.Event()
        self._crashes = 0
        self._stop = False
        self._spawn("power-on")
        self._thread = threading.Thread(target=self._loop, name="virtual-board", daemon=True)
        self._thread.start()
        if not self._up.wait(START_TIMEOUT_S) or self.error:
            raise MpkError(self.error or "the virtual board did not start")
        self._started = True

    def stop(self):
        """Power off: stop the interpreter, remove the port and link. Safe to call twice."""
        self._stop = True
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._teardown()

    def kill(self):
        """Vanish abruptly, as a board yanked from USB: SIGKILL, port gone."""
        self._kill_child()
        self.stop()

    def restart(self):
        """Power-cycle (flash kept)."""
        self._request("power-on")

    def run_reset(self):
        """Pull RUN low, as the reset button does (flash kept; reset_cause() says PWRON_RESET)."""
        self._request("run reset")

    # --- the relay -------------------------------------------------------------------

    def _request(self, what):
        self._requests.append(what)
        self._wake()

    def _wake(self):
        if getattr(self, "_wake_w", None) is None:   # not set up yet, or torn down already
            return
        try:
            os.write(self._wake_w, b"x")
        except (OSError, AttributeError):
            pass

    def _config(self):
        b = self.board
        return {
            "board": {"name": b["name"], "pins": b["pins"], "npins": b["npins"], "unique_id": self._uid},
            "machine": b["machine"],
            "board_dir": child.BOARD_DIR,
            "flash": {"path": self.flash.path, "block_size": b["block_size"],
                      "block_count": b["flash_bytes"] // b["block_size"], "format": self.flash.blank},
            "wiring": self.wiring,
            "repl_mode": self._mode,
            "reset_cause": self._cause,
            "wdt_running": self._wdt_ms is not None,
        }

    def _spawn(self, why):
        self.events.append(why)
        if why != "soft reset":
            # The RP2040 watchdog survives a soft reset; only a hard one stops it.
            self._wdt_ms = self._wdt_deadline = None
        # Ctrl-C stays data until the new interpreter asks otherwise.
        termios.tcsetattr(self._cslave, termios.TCSANOW, self._console_attrs)
        self._proc, self._ctl, self._intr = child.spawn(self._mp, self.board["heap"], self._cslave,
                                                         self._run_dir, self._config())
        self._ctl_buf = b""
        self._restart_at = None

    def _kill_child(self):
        p = self._proc
        if p is not None and p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _hard_reset(self, why, cause, delay=0.0):
        # Like pulling RUN low: the interpreter dies at once, the console's
        # unread input is lost, the REPL comes back in friendly mode.
        self._kill_child()
        self._reap()
        termios.tcflush(self._cslave, termios.TCIFLUSH)
        self._inbuf.clear()
        self._mode = "friendly"
        self._cause = cause
        self._pending_event = why
        self._restart_at = time.monotonic() + delay

    def _reap(self):
        if self._proc is not None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for fd in (self._ctl, self._intr):
            if fd is not None:
                os.close(fd)
        self._proc = self._ctl = self._intr = None
        self._holding = False
        self._held_at = None
        self._drain_console()

    def _drain_console(self):
        while True:
            try:
                data = os.read(self._cmaster, 65536)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            self._board_output(data)

    def _on_ctl(self, line):
        if line == "up":
            self._crashes = 0
            self._up.set()
        elif line.startswith("mode "):
            self._mode = line[5:]
        elif line.startswith("wdt "):
            self._wdt_ms = int(line[4:])
            self._wdt_deadline = time.monotonic() + self._wdt_ms / 1000
        elif line == "hold":
            self._holding = True
        elif line == "took":
            self._held_at = None
        elif line in ("free", "data"):
            if line == "data" and self._held_at is not None:
                self._inbuf[:0] = bytes((CTRL_C,))   # the held Ctrl-C, as data now
            self._holding = False
            self._held_at = None
            self._tell(b"F")
        elif line == "intr":
            self._interrupt()
        elif line == "feed":
            if self._wdt_ms:
                self._wdt_deadline = time.monotonic() + self._wdt_ms / 1000
        elif line == "reset":
            self._hard_reset("hard reset", child.WDT_RESET)  # rp2 resets through the watchdog
        elif line == "bootloader":
            self._hard_reset("bootloader", child.PWRON_RESET, BOOTLOADER_PAUSE_S)
        elif line.startswith("fatal "):
            self.error = line[6:]

    def _hold_ctrl_c(self):
        # The board is in an import: its Ctrl-C goes on the interrupt pipe, not the console
        # (a board drops the interrupt char from its input, too).
        self._inbuf[:] = self._inbuf.replace(bytes((CTRL_C,)), b"")
        if self._held_at is None:
            self._tell(b"C")
            self._held_at = time.monotonic()

    def _tell(self, b):
        try:
            os.write(self._intr, b)
        except OSError:           # the interpreter is gone: its exit is handled on its own
            pass

    def _interrupt(self):
        # A Ctrl-C the board could not take where it landed, sent again (board/simcore.py).
        # Only while Ctrl-C is still an interrupt there (its console tty has ISIG on).
        if termios.tcgetattr(self._cslave)[3] & termios.ISIG:
            self._signal_intr()

    def _signal_intr(self):
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.kill(self._proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def _on_child_exit(self):
        proc = self._proc
        self._reap()
        status = proc.returncode
        if status == child.EXIT_SOFT:
            self._pending_event = "soft reset"
            self._restart_at = time.monotonic()
        elif status == child.EXIT_FATAL or self._crashes >= 2:
            last = bytes(self._log).strip().splitlines()[-1:] or [b"no output"]
            self.error = self.error or "the virtual board's interpreter keeps crashing (exit status %s): %s" % (
                status, last[0].decode(errors="replace"))
            self._stop = True
            self._up.set()
        else:
            # The interpreter died on its own: the board resets, as after a hard fault.
            self._crashes += 1
            self._hard_reset("crash", child.PWRON_RESET)

    def _loop(self):
        try:
            self._run()
        except Exception as e:  # never leave a client hanging on a dead relay silently
            self.error = f"relay failed: {e!r}"
        finally:
            self._kill_child()
            if self._proc is not None:
                self._reap()
            self._up.set()

    def _run(self):
        m, cm = self._serial.master, self._cmaster
        while not self._stop:
            now = time.monotonic()
            while self._requests:
                what = self._requests.pop(0)
                self._hard_reset(what, child.PWRON_RESET)
            if self._proc is None and self._restart_at is not None and now >= self._restart_at:
                self._spawn(self._pending_event)
            if self._wdt_deadline is not None and now >= self._wdt_deadline:
                self._hard_reset("watchdog reset", child.WDT_RESET)
                continue

            rl = [self._wake_r, m]
            if self._ctl is not None:
                rl.append(self._ctl)
            if len(self._outbuf) < OUT_MAX:
                rl.append(cm)
            wl = []
            if self._outbuf:
                wl.append(m)
            if self._inbuf:
                wl.append(cm)
            timeout = None
            if self._held_at is not None and now >= self._held_at + HOLD_S:
                self._held_at = None
                self._signal_intr()
            held_until = self._held_at + HOLD_S if self._held_at is not None else None
            for t in (self._wdt_deadline, self._restart_at, held_until):
                if t is not None:
                    timeout = max(0.0, t - now) if timeout is None else min(timeout, max(0.0, t - now))
            if self._outbuf:
                timeout = 0.2 if timeout is None else min(timeout, 0.2)
            r, w, _ = select.select(rl, wl, [], timeout)

            if self._wake_r in r:
                os.read(self._wake_r, 4096)
            if cm in r:
                self._drain_console()
            if self._outbuf:
                self._flush_out(m in w)
            if m in r:
                try:
                    data = os.read(m, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                self._inbuf += data
            if self._inbuf and self._holding and CTRL_C in self._inbuf:
                self._hold_ctrl_c()
            if self._inbuf:
                try:
                    n = os.write(cm, self._inbuf)
                    del self._inbuf[:n]
                except BlockingIOError:
                    pass
            if self._ctl is not None and self._ctl in r:
                self._read_ctl()

    def _read_ctl(self):
        try:
            data = os.read(self._ctl, 4096)
        except BlockingIOError:
            return
        if not data:
            self._on_child_exit()
            return
        self._ctl_buf += data
        *lines, self._ctl_buf = self._ctl_buf.split(b"\n")
        for line in lines:
            self._on_ctl(line.decode(errors="replace"))
            if self._ctl is None:  # the line reset the board
                break

    def _teardown(self):
        self._kill_child()
        if self._proc is not None and (self._thread is None or not self._thread.is_alive()):
            self._reap()
        self._release(("_cmaster", "_cslave", "_wake_r", "_wake_w"))
