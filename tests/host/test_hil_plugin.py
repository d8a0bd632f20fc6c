"""The HIL plugin (host_tools/hil) against real virtual boards: a failing on-device test
shows its board traceback, hanging tests are timed out (Ctrl-C; a hard reset when the
board ignores Ctrl-C) and the next test passes, two boards run in parallel, a board
killed mid-run fails its remaining tests while the other finishes, JUnit XML counts match,
needs() skips with a reason, and the host-side fixtures talk to a running system.

Every run is a pytest subprocess on throwaway on-device modules in tmp_path.
"""
import os
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from host_tools.hil import collect
from host_tools.hil.plugin import board_of, format_summary, resolve_boards

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _write(d, name, text):
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(textwrap.dedent(text))


def _pytest(tmp_path, *args, timeout=120):
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                        "-c", os.devnull, "-rfs", *args], cwd=str(tmp_path), env=env,
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def _junit(path):
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    cases = {}
    for c in suite.iter("testcase"):
        state = "passed"
        for kind in ("failure", "error", "skipped"):
            el = c.find(kind)
            if el is not None:
                state = (kind, (el.get("message") or "") + (el.text or ""))
        cases[c.get("name")] = state
    counts = {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    return counts, cases


# --- without a board ------------------------------------------------------------------------
def test_module_parsing_reads_tests_timeout_and_needs():
    src = textwrap.dedent('''
        import hil
        HIL_TIMEOUT_S = 7
        NEEDS = ("i2c",)
        def helper(): pass
        def test_a(): pass
        @hil.needs("wifi", "net")
        def test_b(): pass
        @needs("display")
        def test_c(): pass
    ''')
    tests = collect.parse_module(src, "tests/hil/test_x.py")
    assert [(t.module, t.name, t.timeout, t.needs) for t in tests] == [
        ("test_x", "test_a", 7.0, ("i2c",)),
        ("test_x", "test_b", 7.0, ("i2c", "wifi", "net")),
        ("test_x", "test_c", 7.0, ("i2c", "display"))]


def test_board_features_come_from_the_board_definition():
    from boards import esp32, pico, sim

    assert "wifi" not in collect.features(sim) and {"i2c", "virtual"} <= collect.features(sim)
    # loopback is the HIL wiring's jumpers: a board started by the runner has it, a rack says so
    assert "loopback" not in collect.features(sim)
    assert {"wifi", "net", "real", "esp32"} <= collect.features(esp32)
    assert "loopback" in collect.features(pico, extra=("loopback",))


def test_board_specs_labels_and_one_line_errors(tmp_path):
    port = tmp_path / "ttyACM7"
    port.write_text("")
    specs = resolve_boards(["sim", "sim,%s" % port, "rack1=%s" % port])
    assert [(s["label"], s["sim"]) for s in specs] == [("sim0", True), ("sim1", True), ("ttyACM7", False),
                                                       ("rack1", False)]
    with pytest.raises(pytest.UsageError, match="no board at /dev/nope"):
        resolve_boards(["/dev/nope"])
    # auto: USB boards first, else virtual ones, else a virtual board started here
    usb = [{"port": str(port), "kind": "usb"}, {"port": "/x/virt", "kind": "virtual"}]
    assert [s["port"] for s in resolve_boards(["auto"], discover=lambda: usb)] == [str(port)]
    auto = resolve_boards(["auto"], discover=lambda: [])
    assert auto[0]["sim"] and auto[0]["auto"]
    assert board_of("tests/hil/test_a.py::test_b[sim1]", {"sim0", "sim1"}) == "sim1"
    assert board_of("tests/x.py::test_c[sim0-3]", {"sim0"}) == "sim0"
    lines = format_summary({"sim0": {"passed": 3, "failed": 1, "skipped": 0, "error": 0, "seconds": 1.25,
                                     "port": "/dev/pts/3", "kind": "virtual sim", "note": ""}}, ["sim0", "sim1"])
    assert lines[0].split()[:4] == ["BOARD", "KIND", "PORT", "PASSED"]
    assert lines[1].split() == ["sim0", "virtual", "sim", "/dev/pts/3", "3", "1", "0", "0", "1.2s"]


def test_mpk_hil_bad_port_is_one_line(capsys):
    from host_tools.cli import main

    assert main(["hil", "--board", "/dev/nope"]) != 0
    err = capsys.readouterr().err
    assert err.strip() == "mpk: error: --board /dev/nope: no board at /dev/nope (the port does not exist)"


def test_console_json_call_reaches_a_named_server():
    import json

    import kernel
    from host_tools import console_protocol as cp
    from servers import console, log
    from servers.api import log as log_api

    sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
    try:
        from srvutil import run, server
    finally:
        sys.path.pop(0)
    assert "call" in console.JSON_COMMANDS
    reqs = [cp.encode_request(1, "call", {"to": "log", "msg": "('tail', 1)"}),
            cp.encode_request(2, "call", {"to": "log", "msg": "('level', 'loud')"}),
            cp.encode_request(3, "call", {"to": "nobody", "msg": "('x',)", "timeout_ms": 20}),
            cp.encode_request(4, "call", {"to": "log"})]

    class Line:
        def __init__(self, data):
            self.inbox, self.out = bytearray(data), []

        def read_byte(self):
            return self.inbox.pop(0) if self.inbox else None

        def write(self, s):
            self.out.append(s)

    line = Line(b"".join(reqs))

    def body():
        yield from log_api.client().log("info", "app", "hello")
        yield kernel.sleep(150)

    run(body, [server(log.main), server(console.main, config={"io": line, "tick_ms": 5}, name="console", privileged=True)])
    replies, _ = cp.ReplyScanner().feed("".join(line.out).encode())
    by_id = {r["id"]: r for r in replies}
    import ast

    recs = ast.literal_eval(by_id[1]["data"])
    assert recs[-1][3:] == ("app", "hello")
    assert ast.literal_eval(by_id[2]["data"])[:2] == ("err", "badreq")     # error replies are values
    assert by_id[3]["ok"] is False and "nobody" in by_id[3]["error"]
    assert by_id[4]["ok"] is False and "msg" in by_id[4]["error"]
    json.dumps(by_id)


# --- on virtual boards ------------------------------------------------------------------------
NEEDS_MOD = '''
def needs(*features):
    return lambda fn: fn

@needs("wifi")
def test_radio():
    pass

@needs("i2c")
def test_bus():
    pass
'''


def test_failing_hanging_and_skipped_tests_on_one_board(tmp_path):
    hil = tmp_path / "hil"
    _write(hil, "test_demo.py", '''
        HIL_TIMEOUT_S = 1

        def test_ok():
            assert 1 + 1 == 2

        def test_fails():
            print("about to fail")
            x = 3
            assert x == 4, "x is %d" % x

        def test_hangs():
            import time
            print("hanging now")
            while True:
                time.sleep(0.05)

        def test_after_hang():
            assert True

        def test_hangs_deaf():
            import micropython
            micropython.kbd_intr(-1)         # Ctrl-C is data now: only a hard reset helps
            while True:
                pass

        def test_after_reset():
            import os
            assert "hiltests" in os.listdir("/")
    ''')
    _write(hil, "test_needs.py", NEEDS_MOD)
    xml = tmp_path / "out.xml"
    t0 = time.monotonic()
    rc, out = _pytest(tmp_path, "--board", "sim", "--hil-dir", str(hil), str(hil), "--junitxml", str(xml))
    took = time.monotonic() - t0
    assert rc == 1, out
    # the board's traceback, the line that failed, what the board printed before
    assert "test_fails on board sim0 (virtual sim on " in out and "failed on the board:" in out, out
    assert 'File "test_demo.py", line 10, in test_fails' in out, out
    assert "AssertionError: x is 3" in out and "about to fail" in out, out
    # hanging tests: Ctrl-C first; a board that ignores it is power-cycled
    assert "test_hangs on board sim0" in out and "timed out after 1 s on board sim0: stopped with Ctrl-C" in out, out
    assert "hanging now" in out and "KeyboardInterrupt" in out, out
    assert "timed out after 1 s on board sim0: the board did not answer Ctrl-C: hard reset" in out, out
    assert "board sim0 (sim) lacks wifi" in out, out
    counts, cases = _junit(xml)
    assert counts == {"tests": 8, "failures": 3, "errors": 0, "skipped": 1}, (counts, out)
    assert cases["test_ok[sim0]"] == "passed"
    assert cases["test_after_hang[sim0]"] == "passed"
    assert cases["test_after_reset[sim0]"] == "passed"
    assert cases["test_bus[sim0]"] == "passed"
    assert cases["test_radio[sim0]"][0] == "skipped" and "lacks wifi" in cases["test_radio[sim0]"][1]
    assert "x is 3" in cases["test_fails[sim0]"][1]
    # the per-board table, then pytest's own summary line last
    row = [l for l in out.splitlines() if l.startswith("sim0 ")]
    assert row and row[0].split()[4:8] == ["4", "3", "1", "0"], out
    assert "3 failed, 4 passed, 1 skipped in" in out.strip().splitlines()[-1], out
    assert took < 30, took


def test_two_boards_in_parallel_one_killed_mid_run(tmp_path):
    from host_tools.sim import VirtualBoard

    hil = tmp_path / "hil"
    _write(hil, "test_rack.py", '''
        HIL_TIMEOUT_S = 10

        def test_1_first():
            pass

        def test_2_slow():
            import time
            print("KILL" + "-POINT")
            time.sleep(2)

        def test_3_third():
            pass

        def test_4_fourth():
            pass
    ''')
    xml = tmp_path / "out.xml"
    a = VirtualBoard(flash=str(tmp_path / "a.img")).start()
    b = VirtualBoard(flash=str(tmp_path / "b.img")).start()
    killed = []

    def killer():
        try:
            a.wait_output(b"KILL-POINT", 60)
        except TimeoutError:
            return
        a.kill()                 # like a board yanked from USB: the port is gone
        killed.append(a)

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    try:
        t0 = time.monotonic()
        rc, out = _pytest(tmp_path, "--board", "rackA=" + a.port, "--board", "rackB=" + b.port, "--board-flash",
                          "--board-reconnect", "0.5", "--hil-dir", str(hil), str(hil), "--junitxml", str(xml))
        took = time.monotonic() - t0
        th.join(5)
    finally:
        for vb in (a, b):
            if vb not in killed:     # kill() already stopped it
                vb.stop()
    assert rc == 1, out
    assert "2 workers" in out, out                 # one xdist worker per board
    counts, cases = _junit(xml)
    assert counts == {"tests": 8, "failures": 3, "errors": 0, "skipped": 0}, (counts, out)
    for name in ("test_1_first", "test_2_slow", "test_3_third", "test_4_fourth"):
        assert cases[name + "[rackB]"] == "passed", (name, cases, out)
    assert cases["test_1_first[rackA]"] == "passed", out
    for name in ("test_2_slow", "test_3_third", "test_4_fourth"):
        state = cases[name + "[rackA]"]
        assert state[0] == "failure" and "board rackA" in state[1] and "disappeared" in state[1], (name, state)
        if name != "test_2_slow":
            assert "not run: board rackA" in state[1], state
    rows = {l.split()[0]: l for l in out.splitlines() if l.startswith(("rackA ", "rackB "))}
    assert rows["rackA"].split()[3:7] == ["1", "3", "0", "0"] and "board gone" in rows["rackA"], out
    assert rows["rackB"].split()[3:7] == ["4", "0", "0", "0"], out
    assert took < 40, took


def test_two_virtual_boards_run_the_same_suite_in_parallel(tmp_path):
    hil = tmp_path / "hil"
    _write(hil, "test_par.py", '''
        def test_sleeps():
            import time
            time.sleep(1.5)

        def test_which():
            import simboard
            assert simboard.VIRTUAL
    ''')
    t0 = time.monotonic()
    rc, out = _pytest(tmp_path, "-v", "--board", "sim", "--board", "sim", "--hil-dir", str(hil), str(hil))
    took = time.monotonic() - t0
    assert rc == 0, out
    assert "test_sleeps[sim0]" in out and "test_sleeps[sim1]" in out and "2 workers" in out, out
    gw = {l.split()[0] for l in out.splitlines() if l.startswith("[gw") and "PASSED" in l}
    assert gw == {"[gw0]", "[gw1]"}, out
    assert "4 passed in" in out.strip().splitlines()[-1], out
    assert took < 30, took


def test_host_side_fixtures_talk_to_the_running_system(tmp_path):
    _write(tmp_path, "test_host_side.py", '''
        import pytest
        from host_tools.hil.session import BoardServerError

        def test_call_a_server(kernel_system):
            used, quota = kernel_system.call("fs", "usage")
            assert quota == 131072 and used >= 0
            assert kernel_system.call("fs", "put", "a.txt", b"abc") == 3
            assert kernel_system.call("fs", "get", "a.txt") == b"abc"
            names = [t["name"] for t in kernel_system.ps()]
            assert "fs" in names and "console" in names and "watchdog" not in names

        def test_error_reply_raises(kernel_system):
            with pytest.raises(BoardServerError) as e:
                kernel_system.call("fs", "get", "../x")
            assert e.value.code == "denied"

        @pytest.mark.needs("wifi")
        def test_needs_wifi(board):
            pass

        def test_board_after_the_system(board):
            assert board.eval("1 + 2") == 3
    ''')
    (tmp_path / "hil").mkdir()
    rc, out = _pytest(tmp_path, "--board", "sim", "--hil-dir", str(tmp_path / "hil"), "test_host_side.py")
    assert rc == 0, out
    assert "SKIPPED [1] test_host_side.py:18: board sim0 (sim) lacks wifi" in out, out
    assert "3 passed, 1 skipped in" in out.strip().splitlines()[-1], out


def test_without_a_board_hil_tests_are_skipped(tmp_path):
    _write(tmp_path / "hil", "test_x.py", "def test_a():\n    pass\n")
    rc, out = _pytest(tmp_path, "--hil-dir", str(tmp_path / "hil"), str(tmp_path / "hil"))
    assert rc == 0 and "no board: run with --board" in out, out
