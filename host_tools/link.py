"""The link to a board: the only module that imports mpremote.

Everything `mpk` does on a board (every command, the HIL session, `mpk top`, the
deploy) goes through a `Board` from `connect()` / `open_board()`, which wraps
`mpremote.transport_serial.SerialTransport` (raw REPL, raw-paste, soft reset) and
offers what the tools need on top of it: exec/eval, streaming a program's output,
the fast write path's stream (host_tools/transfer.py), reading a file, an interactive
terminal, typing at the friendly REPL, JSON requests to a running system's console
server (ConsoleClient), and resets. Guarded calls turn every failure (no board, port
busy, board gone, board not answering) into an `MpkError` with one line; the plain
byte-stream calls (write, read_until, ...) raise the transport's own errors, which
callers catch as `transport_errors()` or wrap in `board.guard(doing)`.

Port selection, in order: `--port`, the `MPK_PORT` variable, the only board found
by `host_tools.devices.candidate_ports()` (USB VID:PID of known boards, plus running
virtual boards).

mpremote (and pyserial) are imported on first use, not with this module: importing
the `mpremote` package costs tens of milliseconds (its __init__ reads the package
metadata), which commands that never open a board, or open it another way
(the deploy's QuickRepl, below), should not pay.
"""
import contextlib
import errno
import importlib.util
import io
import os
import random
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


class NoRawRepl(Exception):
    """The board did not enter the raw REPL (it answers nothing, or not like MicroPython)."""


def transport_errors():
    """What the plain byte-stream calls raise when the board or its port fails: pyserial
    errors, OSError, mpremote's TransportError, and what pyserial raises on a closed fd."""
    import serial
    from mpremote.transport import TransportError

    return (serial.SerialException, OSError, TransportError, NoRawRepl, ValueError, TypeError,
            IndexError, struct.error)


class Board:
    """One open connection to a board over mpremote's SerialTransport."""

    def __init__(self, port, transport):
        self.port = port
        self.t = transport
        self._interrupted = False

    # --- raw REPL -----------------------------------------------------------------
    def raw_repl(self, soft_reset=False, timeout_overall=5, tries=3):
        """Stop whatever runs (Ctrl-C) and enter the raw REPL; optionally soft-reset first.
        Tried `tries` times, each waiting up to timeout_overall seconds: a board in the
        middle of a soft reset may drop what arrives meanwhile. Raises NoRawRepl."""
        from mpremote.transport import TransportError

        last = None
        for attempt in range(tries):
            try:
                # mpremote prints what it got when it cannot enter: keep that off our stdout
                with contextlib.redirect_stdout(io.StringIO()):
                    self.t.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout_overall)
                return
            except TransportError as e:
                last = e
                if attempt < tries - 1:
                    time.sleep(0.2)
        raise NoRawRepl("could not enter the raw REPL (%s)" % _describe(last))

    def enter_raw(self, soft_reset=False, timeout_overall=None):
        """raw_repl() with one-line errors. A soft reset runs boot.py before the raw REPL
        is back (the firmware's reads the flash and interns its names): each attempt
        waits 10 s for it, not 5, as a retry's Ctrl-C would interrupt the reboot."""
        if timeout_overall is None:
            timeout_overall = 10 if soft_reset else 5
        with self.guard("entering the raw REPL"):
            self.raw_repl(soft_reset, timeout_overall)

    @property
    def binary_safe(self):
        """Whether every byte written reaches the board as it is: a serial device of this
        machine. A network bridge (rfc2217://, socket://) has its own idea of some bytes
        (telnet's IAC, line endings), so data goes through it as text."""
        return "://" not in (self.port or "")

    @property
    def in_raw(self):
        return self.t.in_raw_repl

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

    # --- the byte stream under the REPL (plain calls: transport errors pass through) ----
    def write(self, data):
        self.t.serial.write(data)
        self.t.serial.flush()

    def interrupt(self):
        """Ctrl-C: stops a program, or makes the firmware's console stop the kernel."""
        self.write(b"\x03")

    def read_waiting(self, wait=0.0):
        """Whatever has arrived (b"" when nothing did within `wait` seconds)."""
        ser = self.t.serial
        n = ser.in_waiting
        if not n and wait > 0:
            self._wait_readable(wait)
            n = ser.in_waiting
        return ser.read(n) if n else b""

    def _wait_readable(self, timeout):
        ser = self.t.serial
        try:
            fd = ser.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None               # an RFC 2217 or socket:// port: poll instead
        if fd is not None:
            import select

            select.select([fd], [], [], timeout)
            return
        end = time.monotonic() + timeout
        while not ser.in_waiting and time.monotonic() < end:
            time.sleep(0.005)

    def read_until(self, ending, timeout, into=None, consumer=None, silence=False):
        """The bytes before `ending` (which is consumed), or None after `timeout` seconds
        (what came is in `into`, a bytearray, when given; with silence=True, seconds
        without a byte; None waits for ever). Byte by byte: what follows the ending belongs
        to the next reader (mpremote's raw REPL). consumer(bytes), if given, sees every
        byte before the ending as it comes (a program's output shown live)."""
        ser = self.t.serial
        buf = into if into is not None else bytearray()
        deadline = time.monotonic() + timeout if timeout is not None else None
        while True:
            if buf.endswith(ending):
                return bytes(buf[:-len(ending)])
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
            else:
                left = 0.5
            if not ser.in_waiting:
                self._wait_readable(min(left, 0.5))
                if not ser.in_waiting:
                    continue
            b = ser.read(1)
            if not b:
                import serial

                raise serial.SerialException("the port returned no data (board gone)")
            buf += b
            if silence and deadline is not None:
                deadline = time.monotonic() + timeout
            if consumer is not None and b != ending[-1:]:
                consumer(b)

    def discard_input(self, quiet=0.0, limit=3.0):
        """Drop what has arrived; with `quiet`, keep dropping until the board has been
        silent that long (at most `limit` seconds)."""
        self.t.serial.reset_input_buffer()
        end = time.monotonic() + limit
        last = time.monotonic()
        while quiet and time.monotonic() < end and time.monotonic() - last < quiet:
            if self.read_waiting(0.02):
                last = time.monotonic()

    def start(self, code):
        """Send code to the raw REPL and return at once; follow() or read_until() reads
        what it prints (stdout, EOT, stderr, EOT)."""
        self.t.exec_raw_no_follow(code)

    def follow(self, timeout, consumer=None):
        """(stdout, stderr) of the program start() sent."""
        return self.t.follow(timeout, consumer)

    def to_friendly_repl(self, timeout=2):
        """Leave the raw REPL; True once the friendly REPL's prompt came."""
        self.t.exit_raw_repl()
        return self.read_until(b">>> ", timeout) is not None

    def type_line(self, line, timeout=1):
        """Type one line at the friendly REPL; True once the board echoed it."""
        self.write(line.encode() + b"\r")
        return self.read_until(b"\n", timeout) is not None

    def let_go(self, code):
        """Run code that takes the board away (a reset, the bootloader): nothing comes back."""
        import serial
        from mpremote.transport import TransportError

        try:
            self.t.exec_raw_no_follow(code)
        except (TransportError, serial.SerialException, OSError):
            pass  # the board went away, as asked
        self.t.in_raw_repl = False

    def read_file(self, path, chunk_size=2048):
        """The file's bytes (mpremote's fs_readfile); a board-side OSError keeps its errno."""
        return self.t.fs_readfile(path, chunk_size=chunk_size)

    def terminal(self, start=b""):
        """An interactive terminal on the board (mpremote's REPL loop) until the user leaves
        (Ctrl-] or Ctrl-X); True when the board disconnected instead."""
        from mpremote.console import Console
        from mpremote.repl import do_repl_main_loop

        class _State:                   # the bit of mpremote's State its REPL loop uses
            transport = self.t

        console = Console()
        console.enter()
        try:
            self.write(start)
            return do_repl_main_loop(_State, console, console.write, escape_non_printable=False,
                                     code_to_inject=None, file_to_inject=None)
        finally:
            console.exit()

    def buffer_reads(self):
        """Serve reads from a buffer: mpremote's raw REPL reads one byte per call, each
        otherwise a system call (the deploy's first round trip is timed by them)."""
        self.t.serial = BufferedSerial(self.t.serial)

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
        with self.guard("resetting"):
            self.let_go("import machine\nmachine.reset()")

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
        except NoRawRepl:
            raise BoardGone(
                "board on %s does not answer (could not enter the raw REPL while %s): "
                "is it running a program that ignores Ctrl-C, or is it not MicroPython?" % (self.port, doing)
            ) from None
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

    def close(self, leave_raw=True):
        try:
            if leave_raw and self.t.in_raw_repl:
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
        self.buffer_reads()

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
            if not self.to_friendly_repl(self.timeout):
                raise BoardGone("board on %s stopped answering while %s (no REPL prompt)" % (self.port, doing))
            if not self.type_line(code, self.timeout):
                raise BoardGone("board on %s stopped answering while %s (the REPL did not take the line)"
                                % (self.port, doing))

    def soft_reset(self):
        """Leave the raw REPL and soft-reset: boot.py and main.py run again. The deploy
        is over by then, so a board that does not take it is not an error here."""
        try:
            Board.soft_reset(self)
        except BoardGone:
            pass


class SystemEnded(MpkError):
    """The program the console client talked to (started from the raw REPL) ended."""

    def __init__(self, err):
        self.err = err
        super().__init__((err.strip().splitlines() or ["it returned"])[-1])


class ConsoleClient:
    """JSON-mode requests to a running system's console server (host_tools/console_protocol.py).

    request(cmd, args, timeout) -> the reply dict, or None when none came in time; what
    the board printed besides replies collects in .output. in_exec=True when the system
    was started from the raw REPL (the HIL session): its end (EOT) raises SystemEnded
    with the board's traceback. Transport errors pass through."""

    def __init__(self, board, in_exec=False):
        from host_tools import console_protocol as cp

        self.board = board
        self.cp = cp
        self.scanner = cp.ReplyScanner()
        self.in_exec = in_exec
        self.output = bytearray()
        # A client before this one (another process, or a request that timed out) may
        # have a reply still on its way: ids from 1 in every client would take it as ours.
        self.rid = random.randrange(1 << 24, 1 << 30)

    def request(self, cmd, args=None, timeout=5.0):
        self.rid += 1
        rid = self.rid
        b = self.board
        b.write(self.cp.encode_request(rid, cmd, args))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = b.read_waiting(min(left, 0.2))
            if not data:
                continue
            if self.in_exec and b"\x04" in data:
                head, _, rest = data.partition(b"\x04")
                self.output += self.scanner.feed(head)[1]
                if b"\x04" not in rest:
                    rest += b.read_until(b"\x04", 5) or b""
                raise SystemEnded(rest.partition(b"\x04")[0].decode(errors="replace"))
            replies, other = self.scanner.feed(data)
            self.output += other
            for r in replies:
                if r.get("id") == rid:
                    return r


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


def pulse_reset_line(port):
    """Reset a board through the serial line itself: on an ESP32's USB-serial bridge RTS
    drives EN (esptool's hard reset). Harmless where nothing is wired to it."""
    import serial

    try:
        s = serial.Serial(port, exclusive=True)
        s.dtr = False
        s.rts = True
        time.sleep(0.1)
        s.rts = False
        s.close()
    except (serial.SerialException, OSError):
        pass


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


def board_info(board):
    """Ask a board (in the raw REPL) what it is."""
    import ast

    from host_tools import agent
    from host_tools.mpy_arch import decode_mpy

    code = agent.call("probe", "info()")
    name, version, sys_mpy, platform, uname, free, total, machine = ast.literal_eval(
        board.exec(code, timeout=5).decode().strip())
    mpy_ver, mpy_sub, arch = decode_mpy(sys_mpy)
    return {
        "implementation": name,
        "version": ".".join(str(v) for v in version),
        "platform": platform,
        "machine": machine or (uname[2] if uname else None),
        "uname": list(uname) if uname else None,
        "mpy_version": "%s.%s" % (mpy_ver, mpy_sub) if mpy_ver is not None else None,
        "arch": arch,
        "flash_free": free,
        "flash_total": total,
    }


def probe(port):
    """Open the port, ask the board, soft-reset it so its program runs again."""
    try:
        b = connect(port)
    except MpkError as e:
        return {"error": str(e)}
    try:
        b.enter_raw(soft_reset=False)
        info = board_info(b)
        b.soft_reset()
        return info
    except MpkError as e:
        return {"error": str(e)}
    finally:
        b.close()


def add_port_argument(parser):
    parser.add_argument(
        "--port", "-p", metavar="PORT",
        help="serial port of the board, or labgrid:PLACE (a rack's; default: $MPK_PORT, or the only board found)",
    )
