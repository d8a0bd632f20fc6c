"""Talking to one board: port selection, and mpremote's SerialTransport with one-line errors.

Everything `mpk` does on a board goes through `open_board()`, which wraps
`mpremote.transport_serial.SerialTransport` (raw REPL, raw-paste, soft reset) and
turns every failure (no board, port busy, board gone, board not answering) into an
`MpkError` with one line.

Port selection, in order: `--port`, the `MPK_PORT` variable, the only board found
by `host_tools.devices.candidate_ports()` (USB VID:PID of known boards, plus running
virtual boards).

mpremote (and pyserial) are imported on first use, not with this module: importing
the `mpremote` package costs tens of milliseconds (its __init__ reads the package
metadata), which commands that never open a board, or open it another way
(host_tools/quick_repl.py), should not pay.
"""
import contextlib
import errno
import importlib.util
import io
import os
import struct
import sys
import types
import time

from host_tools.errors import MpkError

# How long (seconds) to wait for a byte before declaring the board silent.
SERIAL_TIMEOUT = 2


class BoardGone(MpkError):
    """The board stopped answering or vanished while we talked to it."""


def select_port(port=None, discover=None):
    """The port to use: explicit, then $MPK_PORT, then the only board found."""
    if port:
        return port
    env = os.environ.get("MPK_PORT")
    if env:
        return env
    if discover is None:
        from host_tools.devices import candidate_ports as discover
    found = discover()
    if not found:
        raise MpkError(
            "no board found: plug one in, or start a virtual board with `mpk sim`, "
            "then pass --port or set MPK_PORT"
        )
    if len(found) > 1:
        raise MpkError(
            "several boards found (%s): choose one with --port or MPK_PORT" % ", ".join(found)
        )
    return found[0]


def _open_error(port, exc):
    text = str(exc)
    low = text.lower()
    if "lock" in low or "busy" in low or getattr(exc, "errno", None) == errno.EBUSY:
        return MpkError("port %s is busy: another program (a REPL, mpremote, an IDE) is using it" % port)
    if isinstance(exc, FileNotFoundError) or "no such file" in low or "could not open port" in low and "no such" in low:
        return MpkError("no board at %s (the port does not exist)" % port)
    if "permission" in low:
        return MpkError("permission denied on %s (add yourself to the dialout group)" % port)
    return MpkError("cannot open %s: %s" % (port, text.splitlines()[0] if text else type(exc).__name__))


def _describe(exc):
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


class Board:
    """One open connection to a board over mpremote's SerialTransport."""

    def __init__(self, port, transport):
        self.port = port
        self.t = transport
        self._interrupted = False

    # --- raw REPL -----------------------------------------------------------------
    def enter_raw(self, soft_reset=False, timeout_overall=5):
        """Stop whatever runs (Ctrl-C) and enter the raw REPL; optionally soft-reset first.
        Tried three times, each waiting up to timeout_overall seconds: a board in the
        middle of a soft reset may drop what arrives meanwhile."""
        from mpremote.transport import TransportError

        with self.guard("entering the raw REPL"):
            for attempt in range(3):
                try:
                    # mpremote prints what it got when it cannot enter: keep that off our stdout
                    with contextlib.redirect_stdout(io.StringIO()):
                        self.t.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout_overall)
                    return
                except TransportError:
                    if attempt == 2:
                        raise
                    time.sleep(0.2)

    def exit_raw(self):
        with self.guard("leaving the raw REPL"):
            if self.t.in_raw_repl:
                self.t.exit_raw_repl()

    def exec(self, code, timeout=10, data_consumer=None):
        """Run code in the raw REPL; returns stdout bytes; a board-side exception is an MpkError."""
        with self.guard("running code"):
            out, err = self.t.exec_raw(code, timeout=timeout, data_consumer=data_consumer)
        if err:
            raise BoardExecError(err.decode("utf-8", "replace"))
        return out

    def stream_exec(self, code, talk, timeout=10):
        """Start code in the raw REPL and let talk(serial port) converse with it while it
        runs (host_tools/transfer.py); returns its stdout after talk() is done. talk may
        raise transfer.EndedEarly(bytes) when the program ended before the talk did."""
        from host_tools.transfer import EndedEarly

        with self.guard("streaming to the board"):
            self.t.exec_raw_no_follow(code)
            try:
                talk(self.t.serial)
            except EndedEarly as e:
                # It failed half-way: its output and error end with two EOTs. What the
                # host still had in flight went to the raw REPL as text; Ctrl-C clears it.
                tail = bytearray(e.args[0])
                while tail.count(4) < 2:
                    c = self.t.serial.read(1)
                    if not c:
                        raise BoardGone("board on %s stopped answering while receiving files" % self.port)
                    tail += c
                self.t.serial.write(b"\x03")
                err = bytes(tail).split(b"\x04")[1]
                raise BoardExecError(err.decode("utf-8", "replace") or "the receiver ended early")
            out, err = self.t.follow(timeout)
        if err:
            raise BoardExecError(err.decode("utf-8", "replace"))
        return out

    def eval(self, expr, timeout=10):
        import ast

        out = self.exec("print(repr(%s))" % expr, timeout=timeout)
        return ast.literal_eval(out.decode().strip())

    def soft_reset(self):
        """Leave the raw REPL and soft-reset, so boot.py and main.py run again."""
        with self.guard("soft-resetting"):
            if self.t.in_raw_repl:
                self.t.exit_raw_repl()
            self.t.serial.write(b"\x04")
            self.t.serial.flush()

    def hard_reset(self):
        """machine.reset(): the board reboots (the port may vanish for a moment)."""
        import serial
        from mpremote.transport import TransportError

        with self.guard("resetting"):
            try:
                self.t.exec_raw_no_follow("import machine\nmachine.reset()")
            except (TransportError, serial.SerialException, OSError):
                pass  # the board went away, as asked
        self.t.in_raw_repl = False

    @contextlib.contextmanager
    def guard(self, doing):
        """Turn transport failures while `doing` into one-line errors."""
        # A Board exists only once connect() has imported these.
        import serial
        from mpremote.transport import TransportError, TransportExecError

        try:
            yield
        except MpkError:
            raise
        except TransportExecError as e:
            raise BoardExecError(e.error_output) from None
        except TransportError as e:
            msg = _describe(e)
            if "raw repl" in msg:
                raise BoardGone(
                    "board on %s does not answer (could not enter the raw REPL while %s): "
                    "is it running a program that ignores Ctrl-C, or is it not MicroPython?" % (self.port, doing)
                ) from None
            raise BoardGone("board on %s stopped answering while %s (%s)" % (self.port, doing, msg)) from None
        except (serial.SerialException, OSError, ValueError, TypeError, IndexError, struct.error) as e:
            # ValueError/TypeError: pyserial on a closed fd; struct errors on half replies.
            raise BoardGone(
                "board on %s disappeared or reset while %s (%s)" % (self.port, doing, _describe(e))
            ) from None

    def close(self):
        try:
            if self.t.in_raw_repl:
                self.t.exit_raw_repl()
        except Exception:
            pass
        try:
            self.t.close()
        except Exception:
            pass


class BoardExecError(MpkError):
    """Code we ran on the board raised an exception; the message is its last line."""

    def __init__(self, output):
        self.output = output
        lines = [l for l in output.strip().splitlines() if l.strip()]
        super().__init__("board raised " + (lines[-1] if lines else "an exception"))

    @property
    def errno(self):
        import re

        m = re.search(r"OSError: \[Errno (\d+)\]|OSError: (\d+)", self.output)
        if m:
            return int(m.group(1) or m.group(2))
        for name, code in (("ENOSPC", 28), ("ENOENT", 2), ("EEXIST", 17), ("EISDIR", 21), ("ENOTDIR", 20)):
            if name in self.output:
                return code
        return None


def serial_transport_class():
    """mpremote.transport_serial.SerialTransport. When nothing in this process has imported
    the mpremote package yet, its __init__ is skipped: all it does is ask
    importlib.metadata for a version string, which costs more (~30 ms) than the
    interpreter's own start-up, on every `mpk` command that talks to a board."""
    if "mpremote" not in sys.modules:
        spec = importlib.util.find_spec("mpremote")
        pkg = types.ModuleType("mpremote")
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__version__ = "0.0.0-unknown"       # what mpremote says when it has no metadata
        sys.modules["mpremote"] = pkg
    from mpremote.transport_serial import SerialTransport

    return SerialTransport


def open_transport(port, timeout=None):
    """Open the serial port with mpremote's SerialTransport; one-line errors."""
    import serial

    transport = serial_transport_class()
    from mpremote.transport import TransportError

    if not port.startswith(("socket://", "rfc2217://", "loop://")) and not os.path.exists(port):
        if not _wait_for_port(port):
            raise MpkError("no board at %s (the port does not exist)" % port)
    try:
        return transport(port, baudrate=115200, exclusive=True,
                         timeout=SERIAL_TIMEOUT if timeout is None else timeout)
    except TransportError as e:
        # SerialTransport hides the reason: open once more ourselves to learn it.
        try:
            s = serial.Serial(port, exclusive=True)
            s.close()
        except Exception as inner:
            raise _open_error(port, inner) from None
        raise _open_error(port, e) from None
    except (serial.SerialException, OSError) as e:
        raise _open_error(port, e) from None


# A board that resets re-enumerates on USB: its port is gone for a moment and comes back
# (a real Pico's ttyACM, or an emulated one run with --reenumerate). A port that looks
# like such a device is waited for this long before "no board at".
REAPPEAR_S = float(os.environ.get("MPK_REAPPEAR_S", "3"))


def _wait_for_port(port):
    real = os.path.realpath(port)
    if not (port.startswith("/dev/") or real.startswith("/dev/") or _registered(port)):
        return False
    deadline = time.monotonic() + REAPPEAR_S
    while time.monotonic() < deadline:
        if os.path.exists(port):
            time.sleep(0.1)             # let it settle (udev, the relay)
            return True
        time.sleep(0.05)
    return False


def _registered(port):
    # A running `mpk sim` whose link this is (it comes back when the board re-enumerates).
    try:
        from host_tools.sim import registry
    except ImportError:
        return False
    full = os.path.abspath(port)
    return any(info.get("link") == full for info in registry.running())


def connect(port):
    """Open the serial port with mpremote's transport; one-line errors."""
    return Board(port, open_transport(port))


@contextlib.contextmanager
def open_board(port=None, raw=True, soft_reset=False, discover=None):
    """`with open_board(args.port) as b:` a Board in the raw REPL (closed and released after)."""
    port = select_port(port, discover)
    board = connect(port)
    try:
        if raw:
            board.enter_raw(soft_reset=soft_reset)
        yield board
    finally:
        board.close()


def add_port_argument(parser):
    parser.add_argument(
        "--port", "-p", metavar="PORT",
        help="serial port of the board (default: $MPK_PORT, or the only board found)",
    )
