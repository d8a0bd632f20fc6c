"""A board running the firmware, used the way its owner uses it: real CLI processes,
unmodified mpremote, a real serial port, on the unix-port board and the emulated Pico.

Ctrl-C stops the system and it stays stopped (the watchdog kept fed) until resumed;
mpremote copies a tree onto the running board; the board answers Ctrl-C at any moment,
booting included; mpk deploy waits for the new firmware and fails on a rollback, and
keeps a user's own /main.py; mpk repl is Python, mpk console the firmware's shell;
mpk hil runs against a board that runs its firmware, and leaves its files alone;
a running mpk sim is found without --port; make run without a terminal types nothing.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import serial

import emu_helpers
from deployed import console_up, deployed_board, start_board
from mpk_fixtures import ROOT, assert_one_line_error, make_tree, run_mpk
from sim_helpers import MPREMOTE, run_tool

BOOT = (ROOT / "firmware" / "boot.py").read_text()


@pytest.fixture(scope="module", params=("unix", "rp2040"))
def running(request, tmp_path_factory):
    """A board of each engine with the firmware deployed and up."""
    b = deployed_board(tmp_path_factory, request.param,
                       tmp_path_factory.mktemp(request.param) / "pico.img")
    try:
        b.engine_name = request.param
        yield b
    finally:
        b.stop()


def resets(board):
    """The board's hard resets so far (power-on, watchdog, machine.reset; not soft resets)."""
    return [e for e in board.events if e != "soft reset"]


def read_for(s, seconds, until=None):
    got = bytearray()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got += s.read(4096)
        if until is not None and until in got:
            break
    return bytes(got)


# --- both engines ----------------------------------------------------------------------------

def test_ctrl_c_stops_the_system_and_it_stays_stopped_until_resumed(running):
    before = len(resets(running))
    with serial.Serial(running.port, timeout=0.1) as s:
        s.write(b"\x03")                                   # a user's Ctrl-C in a terminal
        out = read_for(s, 15, b">>> ")
        assert b"mpk: stopped (Ctrl-C); every task kept, the watchdog fed meanwhile; ps() to look, resume() to run on" in out, out
        time.sleep(10)                                     # past the 8 s watchdog of the image
        s.write(b"ps()\r")                                 # the REPL helpers the message names
        out = read_for(s, 15, b">>> ")
        assert b"sensor_logger" in out and b"watchdog" in out, out
        # The user's own code at the stopped system's REPL: 40 names new to the board (on a
        # Pico the table of names then needs a large block: the firmware kept it aside).
        s.write(b'exec(";".join("user_v%d = %d" % (i, i) for i in range(40))); print(user_v39 * 2)\r')
        out = read_for(s, 15, b">>> ")
        assert b"78" in out and b"MemoryError" not in out, out
        assert len(resets(running)) == before, running.events           # no reset: still stopped
        s.write(b"resume()\r")                             # the README's resume
        time.sleep(0.5)
    assert console_up(running.port)
    p = run_mpk("ps", "--json", "--port", running.port)
    assert "sensor_logger" in p.stdout and len(resets(running)) == before


def test_mpremote_copies_a_tree_onto_the_running_board(running, tmp_path):
    tree = make_tree(tmp_path / "tree", {"a.py": "A = 1\n" * 300, "lib/b.py": "B = 2\n" * 600,
                                         "lib/deep/c.txt": "c" * 5000})
    before = len(resets(running))
    r = run_tool(MPREMOTE, "connect", running.port, "fs", "cp", "-r", str(tree) + "/", ":copied", timeout=300)
    assert r.returncode == 0, r
    r = run_tool(MPREMOTE, "connect", running.port, "exec",
                 "import os; print(os.stat('/copied/lib/deep/c.txt')[6], os.stat('/copied/a.py')[6])")
    assert r.stdout.split() == [b"5000", b"1800"], r
    assert len(resets(running)) == before, running.events


def test_the_board_answers_ctrl_c_while_it_boots(running):
    for delay in (0.0, 0.3, 1.5):
        with serial.Serial(running.port, timeout=0.1) as s:
            s.write(b"\x03\x03\x02\x04")                   # soft reset from the friendly REPL
            time.sleep(delay)
        r = run_tool(MPREMOTE, "connect", running.port, "exec", "print(6 * 7)", timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == b"42", (delay, r)
    # A deploy right after a deploy: the second one finds the board (up or booting).
    p = run_mpk("deploy", "--port", running.port, timeout=180)
    assert p.returncode == 0, p.stderr
    assert console_up(running.port)


# --- the unix-port board ------------------------------------------------------------------------

@pytest.fixture
def unix_board(tmp_path):
    b = start_board("unix", str(tmp_path / "pico.img"))
    yield b
    b.stop()


def project(tmp_path, main_src):
    return make_tree(tmp_path / "proj", {"firmware/boot.py": BOOT, "firmware/main.py": main_src,
                                         "kernel/__init__.py": "VERSION = 1\n"})


def test_deploy_waits_for_the_new_firmware_and_fails_on_a_rollback(unix_board, tmp_path):
    good = "import kernel\nprint('mpk: demo, 1 tasks in the image')\n"
    root = project(tmp_path, good)
    # The minimal firmware has no console: the deploy knows it booted, and times out on "up".
    p = run_mpk("deploy", "--wait", "3", "--port", unix_board.port, "--root", str(root))
    assert_one_line_error(p, "did not come up within 3 s", "console did not answer")
    (root / "firmware" / "main.py").write_text("import kernel\nraise RuntimeError('new firmware is broken')\n")
    p = run_mpk("deploy", "--port", unix_board.port, "--root", str(root))
    line = assert_one_line_error(p, "failed to start and was rolled back from tree b to a",
                                 "new firmware is broken")
    assert "previous firmware" in line
    r = run_tool(MPREMOTE, "connect", unix_board.port, "exec", "print(open('/mpk/active').read())")
    assert r.stdout.strip() == b"a", r


def test_deploy_keeps_a_users_own_main_py(unix_board, tmp_path):
    mine = tmp_path / "main.py"
    mine.write_text("print('my own program')\n")
    assert run_tool(MPREMOTE, "connect", unix_board.port, "fs", "cp", str(mine), ":main.py").returncode == 0
    p = run_mpk("deploy", "--port", unix_board.port, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "your /main.py is kept as /main.py.orig" in p.stdout, p.stdout
    r = run_tool(MPREMOTE, "connect", unix_board.port, "exec", "print(open('/main.py.orig').read())")
    assert r.stdout.strip() == b"print('my own program')", r
    # Ours now, so the next deploy (of a change) keeps nothing more.
    assert "kept" not in run_mpk("deploy", "--port", unix_board.port).stdout


def test_repl_is_python_and_console_is_the_firmware_shell(unix_board):
    assert run_mpk("deploy", "--port", unix_board.port, timeout=120).returncode == 0
    p = run_mpk("console", "--port", unix_board.port, input="ps\n")
    assert p.returncode == 0 and p.stdout.split()[:3] == ["TID", "NAME", "STATE"], (p.stdout, p.stderr)
    p = run_mpk("repl", "--port", unix_board.port, input="6 * 7\nlen(kernel.running_kernel().tasks())\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["42", "15"], p.stdout        # Python, with the system stopped, kept
    assert not console_up(unix_board.port, timeout=2)           # it stayed stopped
    p = run_mpk("repl", "--resume", "--port", unix_board.port, input="1 + 1\n")
    assert p.returncode == 0 and p.stdout.split()[0] == "2", p.stdout
    assert console_up(unix_board.port)                          # resumed when leaving


def test_hil_on_a_board_running_its_firmware_by_a_relative_link(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sim = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sim", "--link", "ttyRIG",
                            "--flash", "rig.img"], cwd=str(tmp_path), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sim.stdout.readline()
        link = str(tmp_path / "ttyRIG")
        assert run_mpk("deploy", "--port", link, timeout=120).returncode == 0
        # An older runner's leftover: /main.py set aside, as a killed run left it.
        r = run_tool(MPREMOTE, "connect", link, "exec", "import os; os.rename('/main.py', '/main.py.hil-off')")
        assert r.returncode == 0, r
        p = subprocess.run([sys.executable, "-m", "host_tools.cli", "hil", "--board", "./ttyRIG", "-k",
                            "test_led_and_exclusive_claims or test_frame_contents"], cwd=str(tmp_path), env=env,
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0 and "2 passed" in p.stdout, (p.stdout[-2000:], p.stderr[-2000:])
        r = run_tool(MPREMOTE, "connect", link, "exec",
                     "import os; print(sorted(f for f in os.listdir('/') if f.startswith('main')))")
        assert r.stdout.strip() == b"['main.py']", r          # put back, nothing deleted
        # A run killed halfway leaves the board's files as they were, and its firmware boots.
        before = run_tool(MPREMOTE, "connect", link, "exec", "print(open('/main.py').read())").stdout
        run = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "hil", "--board", link],
                               cwd=str(tmp_path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        time.sleep(4)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(10)
        after = run_tool(MPREMOTE, "connect", link, "exec", "print(open('/main.py').read())").stdout
        assert after == before
        assert run_mpk("reset", "--port", link).returncode == 0
        assert console_up(link)
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)


def test_a_running_sim_is_found_without_port(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sim = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sim"], cwd=str(tmp_path), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = sim.stdout.readline().strip()
        p = run_mpk("devices", "--no-probe")
        assert port in p.stdout and "virtual board (mpk sim)" in p.stdout, p.stdout
        p = run_mpk("ls")
        assert p.returncode == 0, p.stderr
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)
    assert_one_line_error(run_mpk("ls"), "no board found")


def test_make_run_without_a_terminal_types_nothing_into_the_board(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "host_tools.run", "--sim", "--for", "6"], cwd=str(ROOT),
                       env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^TID +NAME +STATE", p.stdout, re.M), p.stdout
    assert "sensor: started" in p.stdout or "sensor: #" in p.stdout, p.stdout
    assert "mpk> " not in p.stdout                     # no command was typed into its shell


def test_mpk_reconnects_when_the_board_re_enumerates(tmp_path):
    # A Pico's port vanishes at a reset and comes back: the next command waits for it.
    emu_helpers.require()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    link = str(tmp_path / "ttyACM")
    sim = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sim", "--engine", "rp2040", "--reenumerate",
                            "--link", link, "--flash", str(tmp_path / "pico.img")], cwd=str(tmp_path), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sim.stdout.readline()
        for _ in range(3):
            assert run_mpk("reset", "--hard", "--port", link).returncode == 0
            p = run_mpk("ls", "--port", link)           # while the port is away: waited for
            assert p.returncode == 0, p.stderr
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)
