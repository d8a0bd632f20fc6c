"""One board prepared for HIL tests, and a system image running on it.

HilBoard(label, port=None, sim=False, ...).start():

  1. a virtual board is started (sim=True: pico, wired as boards/sim.py HIL_WIRING, its
     flash in workdir; engine "unix", the unix-port board, or "rp2040", the official
     firmware on an emulated RP2040) or the port is opened; whatever runs is stopped (Ctrl-C);
  2. with flash=True (always for a virtual board started here) the firmware is deployed
     with `mpk deploy` (host_tools/deploy.py: incremental, atomic, no reset);
  3. the board's own files stay as they are: nothing is renamed or set aside. A board
     that resets in the middle (a test's hard reset, the watchdog) boots its firmware,
     which the next test stops again with Ctrl-C; a watchdog that firmware started (it
     cannot be stopped on the RP2040) is kept fed by the firmware's keeper
     (hal/__init__.py) whenever no watchdog server runs, also in each test's run. A
     /main.py.hil-off left by an older runner is put back (never deleted). close()
     soft-resets the board: it runs its firmware again;
  4. tests/hil/*.py, compiled, are synced to /hiltests (files.py), with simworld.py (the
     outside world, as hil.board_sim() gives it) on an emulated Pico;
  5. the board says what it is (os.uname(), simboard): its board definition gives the
     features needs() checks.

run_test(module, name, timeout) runs the test through the raw REPL and returns a
Result. Each test module starts in a fresh interpreter (a soft reset), as pytest imports a
module once: the next test of the same module runs in the same one, its imports (the
kernel, the servers) already loaded, unless the last test did not pass or anything else
used the board in between, which soft-reset it again (on a Pico, importing the kernel
and the supervisor from flash is most of a short test's time). A test still running at
its timeout is stopped with Ctrl-C; if the board does not answer, it is hard-reset (a
virtual board is power-cycled; a labgrid place with a power switch is power-cycled through
labgrid; a real one gets --board-reset-cmd, else an RTS pulse, which resets ESP32 boards
on a USB-serial bridge).
A board whose port fails or vanishes is waited for (reconnect_s: a board that
re-enumerates after a reset comes back); if it stays away it is dead: BoardGone, and
every later call raises BoardGone at once with the same reason.
"""
import ast
import os
import shlex
import subprocess
import sys
import time

from host_tools.build import PROJECT_ROOT
from host_tools.errors import MpkError
from host_tools import agent, link
from host_tools.hil import collect, files

HIL_DIR = os.path.join(str(PROJECT_ROOT), "tests", "hil")
SERIAL_ERRORS = link.transport_errors()
# The board vanished (or stopped answering for good): its remaining tests fail.
BoardGone = link.BoardGone


class BoardLost(MpkError):
    """The board dropped off and came back: the test in progress could not finish."""


class BoardExecFailed(MpkError):
    def __init__(self, err, out=""):
        self.err, self.out = err, out
        lines = [l for l in err.strip().splitlines() if l.strip()]
        super().__init__("board raised " + (lines[-1] if lines else "an exception"))


class Result:
    """What a test did on the board. status: passed, failed, timeout."""

    def __init__(self, status, out="", err="", trace="", seconds=0.0, note=""):
        self.status, self.out, self.err, self.trace = status, out, err, trace
        self.seconds, self.note = seconds, note


def _short(exc):
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _running_engine(port):
    """The engine of the running `mpk sim` behind `port` (its pty or its link), else None."""
    from host_tools.sim import registry

    real = os.path.realpath(port)
    for info in registry.running():
        if real in (os.path.realpath(info["port"]), info.get("link") and os.path.realpath(info["link"])):
            return info.get("engine")
    return None


def label_for_port(port):
    """A short name for a port: /dev/ttyACM0 -> ttyACM0, /dev/pts/3 -> pts3."""
    p = port.rstrip("/")
    if p.startswith("/dev/pts/"):
        return "pts" + p[len("/dev/pts/"):]
    return os.path.basename(p) or p


class HilBoard:
    def __init__(self, label, port=None, sim=False, workdir=None, flash=False, wiring=None,
                 reconnect_s=5.0, reset_cmd=None, extra_features=(), hil_dir=HIL_DIR, log=None,
                 extra_files=(), engine="unix", lease=None):
        self.label = label
        self.port = port
        self.sim = sim
        self.engine = engine
        self.workdir = workdir or os.path.join(str(PROJECT_ROOT), "build", "hil")
        self.flash = flash or sim
        self.wiring = wiring
        self.reconnect_s = reconnect_s
        self.reset_cmd = reset_cmd
        self.extra_features = tuple(extra_features)
        self.hil_dir = hil_dir
        self.extra_files = tuple(extra_files)
        self.log = log or (lambda msg: None)
        self.vb = None
        self.conn = None            # the link (host_tools/link.py Board) while connected
        self.dead = None
        self._warm = None           # the test module whose interpreter the raw REPL holds, clean
        self.name = None            # board definition name: sim, pico, pico_w, esp32, ...
        self.machine = None
        self.features = set()
        self.has_firmware = None
        self.deploy_summary = None
        self.give_back = True       # close() starts the board's firmware again
        self.lease = None           # a labgrid place's lease (host_tools/rack/lease.py), handed down
        if lease is not None:
            from host_tools.rack.lease import Lease

            self.lease = Lease.from_dict(lease)

    # --- lifecycle ---------------------------------------------------------------------
    def start(self):
        try:
            self._start()
        except BoardGone as e:
            self.dead = self.dead or "board %s could not be prepared: %s" % (self.label, e)
            self._close_conn()
            raise BoardGone(self.dead) from None
        except MpkError as e:
            self.dead = "board %s could not be prepared: %s" % (self.label, e)
            self._close_conn()
            raise BoardGone(self.dead) from None
        except SyntaxError as e:
            self.dead = "board %s: a test module does not compile: %s" % (self.label, e)
            raise BoardGone(self.dead) from None
        except Exception as e:
            self.dead = "board %s could not be prepared: %s: %s" % (self.label, type(e).__name__, _short(e))
            self._close_conn()
            raise BoardGone(self.dead) from None
        return self

    def _start(self):
        os.makedirs(self.workdir, exist_ok=True)
        if str(PROJECT_ROOT) not in sys.path:       # boards/ is read on the host too
            sys.path.insert(0, str(PROJECT_ROOT))
        if self.sim:
            from boards import sim as sim_def
            from host_tools.sim import VirtualBoard

            img = os.path.join(self.workdir, "%s-flash.img" % self.label)
            if os.path.exists(img):
                os.remove(img)      # a fresh board every session
            wiring = self.wiring if self.wiring is not None else sim_def.HIL_WIRING
            if self.engine == "rp2040":
                from host_tools.sim.rp2040 import EmulatedPico

                self.vb = EmulatedPico(flash=img, wiring=wiring).start()
            else:
                self.vb = VirtualBoard(flash=img, board="pico", wiring=wiring).start()
            self.port = self.vb.port
        else:
            self.engine = _running_engine(self.port) or self.engine
        if self.engine == "rp2040":
            from host_tools.sim.rp2040.board import SIMWORLD

            self.extra_files += (SIMWORLD,)
            self.extra_features += ("emulated",)
        if self.sim:
            self.extra_features += ("loopback",)     # started here with the HIL wiring
        self._connect()
        sysname, machine, simname, had_main, had_off, active = self._probe()
        self.machine = machine
        if self.flash:
            self._close_conn()
            from host_tools import deploy

            try:
                with files.build_lock():
                    self.deploy_summary = deploy.deploy(port=self.port, log=None, progress=False, reset=False)
            except MpkError as e:
                raise MpkError("deploy failed: %s" % e) from None
            self._connect()
            active = True
        self.has_firmware = bool(active)
        if had_off:
            what = self._exec(agent.call("hil", "repair()"), 10).strip()
            self.log("board %s: %s" % (self.label, "put /main.py back from /main.py.hil-off, left by an "
                     "earlier run" if what == "restored" else "/main.py.hil-off left by an earlier run is "
                     "kept beside /main.py: compare them and remove the one you do not want"))
        self._resolve_name(sysname, machine, simname)
        compiled = files.compile_dir(self.hil_dir, os.path.join(self.workdir, "mpy"), self.extra_files)
        files.sync(self, compiled)

    def _resolve_name(self, sysname, machine, simname):
        import boards

        name = "sim" if simname else boards.from_uname(sysname, machine)
        self.name = name or "unknown"
        extra = set(self.extra_features)
        if name:
            mod = boards.load(name)
            self.features = collect.features(mod, extra)
        else:
            self.features = extra | {"real"}
        if "emulated" in self.features:       # the real firmware, but no real board
            self.features.discard("real")
            self.features.add("virtual")

    def close(self):
        """Give the board back: a soft reset from the friendly REPL (its firmware runs again)."""
        if self.conn is not None and self.dead is None and self.give_back:
            try:
                self._raw(soft_reset=False)
                self.conn.soft_reset()
            except (MpkError,) + SERIAL_ERRORS:
                pass
        self._close_conn()
        if self.vb is not None:
            self.vb.stop()
            self.vb = None

    def describe(self):
        kind = ("emulated %s" if self.engine == "rp2040" else "virtual %s") % self.name if self.sim else (self.name or "?")
        if self.lease is not None:
            return "%s (%s, %s)" % (self.label, kind, self.lease.describe())
        return "%s (%s on %s)" % (self.label, kind, self.port)

    # --- connection ----------------------------------------------------------------------
    def _connect(self):
        self._warm = None
        self._close_conn()
        self.conn = link.connect(self.port)
        self._raw(soft_reset=False)

    def _close_conn(self):
        if self.conn is not None:
            self.conn.close(leave_raw=False)
        self.conn = None

    def _raw(self, soft_reset):
        self.conn.raw_repl(soft_reset=soft_reset, timeout_overall=10)

    def check(self):
        if self.dead:
            raise BoardGone(self.dead)

    def _lost(self, doing, exc):
        """The port failed: wait for the board to come back, else declare it dead."""
        self._close_conn()
        reason = "%s (%s)" % (doing, _short(exc))
        deadline = time.monotonic() + self.reconnect_s
        while time.monotonic() < deadline:
            if self._port_back():
                try:
                    self._connect()
                    raise BoardLost("board %s dropped off while %s and came back" % (self.label, reason))
                except BoardLost:
                    raise
                except (MpkError,) + SERIAL_ERRORS:
                    self._close_conn()
            time.sleep(0.2)
        self.dead = "board %s disappeared while %s" % (self.describe(), reason)
        raise BoardGone(self.dead)

    def _port_back(self):
        """Is the port there (again)? A path must exist; a labgrid place is asked for its
        serial port's URL, which a restarted exporter serves on a new TCP port."""
        if self.lease is not None:
            url = self.lease.current_url()
            if url:
                self.port = url
            return url is not None
        return "://" in self.port or os.path.exists(self.port)

    # --- raw REPL I/O --------------------------------------------------------------------
    def _read_until(self, ending, timeout, into=None):
        """Bytes up to `ending` (dropped), or None after timeout seconds (link.Board.read_until)."""
        return self.conn.read_until(ending, timeout, into)

    def _exec_raw(self, code, timeout):
        """(stdout, stderr) as text, or raises TimeoutError with what came so far."""
        self.conn.start(code)
        got = bytearray()
        out = self._read_until(b"\x04", timeout, got)
        if out is None:
            raise TimeoutError(bytes(got).decode(errors="replace"))
        err = self._read_until(b"\x04", 10) or b""
        return out.decode(errors="replace"), err.decode(errors="replace")

    def _exec(self, code, timeout=30):
        out, err = self._exec_raw(code, timeout)
        if err:
            raise BoardExecFailed(err, out)
        return out

    def exec(self, code, timeout=30):
        """Run code in the raw REPL, return what it printed; a board-side exception raises
        BoardExecFailed (with .err, the traceback); a vanished board BoardGone."""
        self.check()
        self._warm = None                   # code of the host's: the next test starts afresh
        try:
            return self._exec(code, timeout)
        except TimeoutError as e:
            note = self.recover()
            raise MpkError("no result from board %s within %g s (%s); output so far: %s"
                           % (self.label, timeout, note, str(e)[-300:])) from None
        except SERIAL_ERRORS as e:
            self._lost("running code", e)

    def eval(self, expr, timeout=30):
        return ast.literal_eval(self.exec("print(repr(%s))" % expr, timeout).strip())

    def _probe(self):
        return ast.literal_eval(self._exec(agent.call("probe", "hil_info()"), 10).strip())

    # --- resets --------------------------------------------------------------------------
    def soft_reset(self):
        """A fresh interpreter in the raw REPL (boot.py runs, main.py does not)."""
        self.check()
        self._warm = None
        try:
            self._raw(soft_reset=True)
        except link.NoRawRepl:
            self.hard_reset()
        except SERIAL_ERRORS as e:
            self._lost("soft-resetting", e)

    def recover(self):
        """After a timeout: Ctrl-C; if the board stays silent, a hard reset. Returns what was done."""
        try:
            self.conn.interrupt()
            got = bytearray()
            if self._read_until(b"\x04>", 3, got) is not None:
                self.recovered_output = bytes(got).decode(errors="replace")
                self._raw(soft_reset=False)
                return "stopped with Ctrl-C"
            self.recovered_output = bytes(got).decode(errors="replace")
        except SERIAL_ERRORS as e:
            self._lost("stopping a test that timed out", e)
        self.hard_reset()
        return "the board did not answer Ctrl-C: hard reset"

    def hard_reset(self):
        """Reset the board as a power cycle would (see the module doc), back in the raw REPL."""
        self._warm = None
        if self.vb is not None:
            self.vb.clear_output()
            self.vb.restart()
            try:
                self.vb.wait_output(b">>> ", 10)
            except TimeoutError:
                pass
            try:
                self._raw(soft_reset=False)
                return
            except SERIAL_ERRORS as e:
                self._lost("coming back from a power cycle", e)
        self._close_conn()
        if self.lease is not None and self.lease.power:
            try:
                self.lease.power_cycle()
            except MpkError as e:
                self.log("board %s: power cycle through labgrid failed: %s" % (self.label, e))
        elif self.reset_cmd:
            cmd = self.reset_cmd.replace("{port}", shlex.quote(self.port))
            subprocess.run(cmd, shell=True, timeout=60, capture_output=True)
        elif "://" not in self.port:
            link.pulse_reset_line(self.port)
        deadline = time.monotonic() + max(self.reconnect_s, 3)
        last = None
        while time.monotonic() < deadline:
            try:
                self._connect()
                return
            except (MpkError,) + SERIAL_ERRORS as e:
                last = e
                self._close_conn()
                time.sleep(0.3)
        self.dead = ("board %s hung and could not be reset (%s); give --board-reset-cmd (e.g. uhubctl) "
                     "to power-cycle it%s" % (self.describe(), _short(last) if last else "no answer",
                                             ", or its labgrid place a power switch" if self.lease else ""))
        raise BoardGone(self.dead)

    # --- tests ---------------------------------------------------------------------------
    def run_test(self, module, name, timeout):
        self.check()
        if self._warm != module:
            self.soft_reset()
        self._warm = None
        t0 = time.monotonic()
        code = agent.call("hil_run", "run_test(%r, %r, %r)" % (files.BOARD_DIR, module, name))
        try:
            out, err = self._exec_raw(code, timeout)
        except TimeoutError as e:
            so_far = str(e)
            self.recovered_output = ""
            note = self.recover()
            extra = self.recovered_output.replace("\x04", "\n").strip().rstrip(">").strip()
            return Result("timeout", so_far, extra, "", time.monotonic() - t0,
                          "timed out after %g s on board %s: %s" % (timeout, self.label, note))
        except SERIAL_ERRORS as e:
            self._lost("running %s::%s" % (module, name), e)
        out, _, trace = out.partition("\x1ehil-trace")
        seconds = time.monotonic() - t0
        if err or "\x1ehil-ok" not in out:
            return Result("failed", out, err, trace.strip(), seconds)
        self._warm = module                 # passed: the next test of module may run here too
        return Result("passed", out.replace("\x1ehil-ok", "").rstrip(), "", "", seconds)


def sim_board(workdir, label="sim0", **kw):
    """A started virtual board with the firmware and the HIL modules on it."""
    return HilBoard(label, sim=True, workdir=workdir, **kw).start()


class Board(HilBoard):
    """For bench/servers_bench.py: Board(tmpdir) is a started virtual board with the
    firmware deployed and tests/hil in /hiltests; exec(), soft_reset(), close()."""

    def __init__(self, tmpdir):
        super().__init__("bench", sim=True, workdir=tmpdir)
        self.start()

    def close(self):
        self.give_back = False     # a throwaway board: no need to start its firmware
        super().close()



class BoardServerError(MpkError):
    """A server on the board answered ("err", code, text)."""

    def __init__(self, server, code, text):
        self.server, self.code, self.text = server, code, text
        super().__init__("%s: %s: %s" % (server, code, text))


class KernelSystem:
    """The system image (firmware/system.py) running on a board, started from the raw
    REPL without the tasks in `drop` (the watchdog by default: a WDT cannot be stopped, and
    would reset the board during the next tests). Its console server reads the serial
    line, so the host talks to it in the console's JSON mode (host_tools/console_protocol.py):

        ks.call("fs", "usage")            # -> the fs server's reply, e.g. (0, 131072)
        ks.call("gpio", "claim", "GP2", "out")
        ks.ps(), ks.log(), ks.snapshot()  # as mpk ps / mpk log see them

    An error reply raises BoardServerError (.code, .text). stop() stops the kernel (Ctrl-C,
    which the console turns into a stop) and leaves the board in the raw REPL.
    """

    def __init__(self, board, drop=("watchdog",)):
        self.board = board
        self.drop = tuple(drop)
        self.output = bytearray()   # what the system printed besides the replies
        self.running = False
        self.ended = None           # the board's traceback if the system stopped by itself

    def start(self, timeout=20):
        b = self.board
        b.check()
        try:
            b.conn.start(agent.call("hil", "boot_system(%r, %r)" % (files.BOARD_DIR, self.drop)))
            got = bytearray()
            out = b._read_until(b"\x1ehil-system-up", timeout, got)
        except SERIAL_ERRORS as e:
            b._lost("starting the system image", e)
        if out is None:
            if b"\x04" in got:
                err = b._read_until(b"\x04", 5) or b""
                raise MpkError("the system image did not start on board %s: %s" % (
                    b.label, (err.decode(errors="replace").strip().splitlines() or ["?"])[-1]))
            b.recover()
            raise MpkError("the system image did not start on board %s within %g s" % (b.label, timeout))
        self.client = link.ConsoleClient(b.conn, in_exec=True)
        self.output = self.client.output
        self.running = True
        self.hello = self.request("hello", timeout=5)
        return self

    def request(self, cmd, args=None, timeout=5):
        """One JSON-mode request; returns its data, raises MpkError for an error reply."""
        b = self.board
        b.check()
        if not self.running:
            raise MpkError("the system on board %s is not running" % b.label)
        try:
            r = self.client.request(cmd, args, timeout)
        except link.SystemEnded as e:
            self.running = False
            self.ended = e.err
            raise MpkError("the system on board %s stopped: %s" % (b.label, e)) from None
        except SERIAL_ERRORS as e:
            self.running = False
            b._lost("talking to the console server", e)
        if r is None:
            raise MpkError("no answer from the console server on board %s within %g s (%s)" % (b.label, timeout, cmd))
        if not r.get("ok"):
            raise MpkError("console server on board %s: %s" % (b.label, r.get("error")))
        return r.get("data")

    def call(self, server, op, *args, timeout=2.0):
        """Send (op, *args) to the server registered as `server`; return its reply."""
        data = self.request("call", {"to": server, "msg": repr((op,) + tuple(args)),
                                     "timeout_ms": int(timeout * 1000)}, timeout=timeout + 5)
        r = ast.literal_eval(data)
        if type(r) is tuple and len(r) == 3 and r[0] == "err":
            raise BoardServerError(server, r[1], r[2])
        return r

    def ps(self):
        return self.request("ps")

    def log(self, since=0):
        return self.request("log", {"since": since})

    def snapshot(self):
        return self.request("snapshot")

    def stop(self):
        b = self.board
        if not self.running or b.dead:
            return
        self.running = False
        try:
            b.conn.interrupt()
            got = bytearray()
            if b._read_until(b"\x04>", 5, got) is None:
                b.recover()
                return
            b._raw(soft_reset=False)     # the prompt was eaten: a fresh one for the next exec
        except SERIAL_ERRORS as e:
            b._lost("stopping the system image", e)
