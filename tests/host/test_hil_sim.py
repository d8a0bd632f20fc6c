"""Runs the on-device HIL tests (tests/hil/test_*.py) on the virtual board.

One virtual board per session: kernel/ servers/ boards/ firmware/ are compiled with
mpy-cross and copied once to its flash (tests/hil/ to /hiltests), then every `test_*` function of every tests/hil module runs
as its own pytest test (id `hil/<module>::<test>`) through the raw REPL, after a soft
reset so each starts on a fresh interpreter. A failure shows the board's traceback (for
hil.run bodies, the body's own). A test that outlives its timeout is stopped with Ctrl-C,
and if the board does not answer, power-cycled.

A module may set HIL_TIMEOUT_S = <seconds> (default 60).
"""
import ast
import os
import select
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HIL = os.path.join(ROOT, "tests", "hil")
TREES = ("kernel", "servers", "boards", "firmware")
DEFAULT_TIMEOUT_S = 60
CHUNK = 2048


def _hil_tests():
    out = []
    if not os.path.isdir(HIL):
        return out
    for fn in sorted(os.listdir(HIL)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        with open(os.path.join(HIL, fn)) as f:
            tree = ast.parse(f.read())
        timeout = DEFAULT_TIMEOUT_S
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "HIL_TIMEOUT_S" for t in node.targets):
                timeout = ast.literal_eval(node.value)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                out.append(pytest.param(fn[:-3], node.name, timeout, id="hil/%s::%s" % (fn[:-3], node.name)))
    return out


def _files():
    # (board path, host path) of everything the board needs, as sources.
    for tree in TREES:
        for d, dirs, files in os.walk(os.path.join(ROOT, tree)):
            dirs[:] = sorted(x for x in dirs if not x.startswith((".", "__")))
            for f in sorted(files):
                if f.endswith(".py"):
                    host = os.path.join(d, f)
                    yield "/" + os.path.relpath(host, ROOT).replace(os.sep, "/"), host
    for f in sorted(os.listdir(HIL)):
        if f.endswith(".py"):
            yield "/hiltests/" + f, os.path.join(HIL, f)


def _compiled(outdir):
    # (board path, bytes) of every file compiled to .mpy: a board's small heap cannot
    # compile the kernel from source, and a real deploy ships .mpy too. Source names are
    # kept, so board tracebacks name the files and lines.
    import subprocess
    from host_tools.build import mpy_cross_path

    exe = mpy_cross_path()
    for board_path, host in _files():
        dst = os.path.join(outdir, board_path.strip("/").replace("/", "__")[:-3] + ".mpy")
        rel = os.path.relpath(host, ROOT)
        subprocess.run([exe, "-o", dst, "-s", rel, host], check=True, capture_output=True, timeout=60)
        with open(dst, "rb") as f:
            yield board_path[:-3] + ".mpy", f.read()


class Board:
    """The session's virtual board and a raw-REPL connection to it."""

    def __init__(self, tmpdir):
        from host_tools.sim import VirtualBoard

        self.tmpdir = tmpdir
        from boards import sim

        self.vb = VirtualBoard(flash=os.path.join(tmpdir, "flash.img"), board="pico",
                               wiring=sim.HIL_WIRING).start()
        self.t = None
        self.connect()
        self.t.enter_raw_repl(soft_reset=True)      # a fresh heap for the copy
        self.upload()

    def connect(self):
        from mpremote.transport_serial import SerialTransport

        if self.t is not None:
            try:
                self.t.close()
            except Exception:
                pass
        # A serial timeout, so that mpremote's reads cannot block forever on a dead board.
        self.t = SerialTransport(self.vb.port, baudrate=115200, timeout=2)
        self.buf = bytearray()
        self.t.enter_raw_repl(soft_reset=False)

    def exec(self, code, timeout=30):
        out, err = self.run(code, timeout)
        if err:
            raise AssertionError("board error:\n%s" % err)
        return out

    def upload(self):
        files = list(_compiled(self.tmpdir))
        dirs = set()
        for board_path, _ in files:
            parts = board_path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/" + "/".join(parts[:i]))
        self.exec("import os\nfor d in %r:\n try: os.mkdir(d)\n except OSError: pass" % sorted(dirs))
        for board_path, data in files:
            # Small pieces: the board compiles each exec, and its heap is small.
            self.exec("f=open(%r,'wb')" % board_path)
            for i in range(0, len(data), CHUNK):
                self.exec("f.write(%r)" % data[i:i + CHUNK])
            self.exec("f.close()")

    def run(self, code, timeout):
        """Exec code in the raw REPL; returns (stdout, stderr) as text. On timeout:
        Ctrl-C, then a power cycle if the board stays silent; raises TimeoutError."""
        self.t.exec_raw_no_follow(code)
        out = self.read_until(b"\x04", timeout)
        if out is None:
            so_far = bytes(self.buf).decode(errors="replace")
            self.recover()
            raise TimeoutError("no result within %ss; board output so far:\n%s" % (timeout, so_far))
        err = self.read_until(b"\x04", 10) or b""
        return out.decode(errors="replace"), err.decode(errors="replace")

    def read_until(self, ending, timeout):
        # Bytes up to `ending` (dropped), or None after timeout seconds.
        ser = self.t.serial
        self.buf = bytearray()
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(ending)
            if i >= 0:
                data = bytes(self.buf[:i])
                del self.buf[:i + len(ending)]
                return data
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # Byte by byte: what follows `ending` (the next prompt) belongs to mpremote.
            if ser.in_waiting or select.select([ser.fileno()], [], [], min(left, 0.5))[0]:
                self.buf += ser.read(1)

    def recover(self):
        self.t.serial.write(b"\x03")
        if self.read_until(b"\x04>", 3) is not None:
            return
        self.vb.restart()        # the board hangs with interrupts off: power-cycle it
        time.sleep(0.5)
        self.connect()

    def soft_reset(self):
        try:
            self.t.enter_raw_repl(soft_reset=True)
        except Exception:
            self.vb.restart()
            time.sleep(0.5)
            self.connect()
            self.t.enter_raw_repl(soft_reset=True)

    def close(self):
        try:
            self.t.exit_raw_repl()
            self.t.close()
        except Exception:
            pass
        self.vb.stop()


@pytest.fixture(scope="session")
def hil_board(tmp_path_factory):
    try:
        from host_tools.sim import child

        child.find_micropython()
    except Exception as e:
        pytest.skip("no virtual board: %s" % e)
    b = Board(str(tmp_path_factory.mktemp("hil")))
    yield b
    b.close()


RUN = """import sys
if '/hiltests' not in sys.path:
    sys.path.append('/hiltests')
import %s as m
m.%s()
print('HIL-OK')
"""


@pytest.mark.parametrize("module,test,timeout", _hil_tests())
def test_hil(hil_board, module, test, timeout):
    hil_board.soft_reset()
    out, err = hil_board.run(RUN % (module, test), timeout)
    if err:
        pytest.fail("%s::%s failed on the board:\n%s%s" % (
            module, test, err, ("\n--- board output ---\n" + out) if out.strip() else ""), pytrace=False)
    assert "HIL-OK" in out, out
