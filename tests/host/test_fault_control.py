"""Fault control of a running board from the host, as its owner would use it: real `mpk`
processes against the firmware on the unix-port virtual board.

mpk fault (exception, memory, hang) makes a task fail and its supervisor brings it back
(a hang through the supervisor's pings); mpk hold / release / restart go through the
supervisor; mpk faults shows this boot's faults and, after a reset, the post-mortem kept
on flash: which task failed or hung, which one held the CPU until the watchdog reset the
board, and the reset cause.
(The emulated Pico runs these too slowly for a host test: pings and the 8 s watchdog are
in emulated time, about 7x longer; the HIL suite checks the kernel's part on it.)
"""
import json
import time

import pytest

from mpk_fixtures import assert_one_line_error, run_mpk
from deployed import console_up, start_board
from test_everyday_use import resets


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = start_board("unix", str(tmp_path_factory.mktemp("faults") / "pico.img"))
    try:
        p = run_mpk("deploy", "--port", b.port, timeout=180)
        assert p.returncode == 0 and "switched, up" in p.stdout, (p.stdout, p.stderr)
        yield b
    finally:
        b.stop()


def status(port):
    p = run_mpk("ps", "--json", "--via", "server", "--port", port)
    assert p.returncode == 0, p.stderr
    return {t["name"]: t for t in json.loads(p.stdout)}


def history(port):
    p = run_mpk("faults", "--json", "--port", port)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def wait_for(what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = what()
        if r:
            return r
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def test_injected_faults_are_recovered_and_shown(board):
    before = status(board.port)["gpio"]
    p = run_mpk("fault", "gpio", "--port", board.port)
    assert p.returncode == 0 and "injected exception into gpio" in p.stdout, (p.stdout, p.stderr)
    new = wait_for(lambda: (status(board.port).get("gpio") or {}).get("tid") not in (None, before["tid"])
                   and status(board.port)["gpio"])
    assert new["restarts"] == before["restarts"] + 1
    f = history(board.port)["now"][-1]
    assert f["name"] == "gpio" and f["type"] == "InjectedFault", f
    assert run_mpk("fault", "i2c", "--kind", "memory", "--port", board.port).returncode == 0
    wait_for(lambda: history(board.port)["now"][-1]["type"] == "MemoryError")
    p = run_mpk("faults", "--port", board.port)
    assert "gpio (tid %d): InjectedFault" % before["tid"] in p.stdout, p.stdout


def test_a_hung_server_is_found_by_the_pings_and_restarted(board):
    old = status(board.port)["timer"]["tid"]
    assert run_mpk("fault", "timer", "--kind", "hang", "--port", board.port).returncode == 0
    assert status(board.port)["timer"]["state"] == "sleep"
    # pinged every 2 s, answered within 2 s or hung
    wait_for(lambda: status(board.port)["timer"]["tid"] != old, timeout=15)
    hangs = [r for r in history(board.port)["before"] if r.get("kind") == "hang"]
    assert hangs and hangs[-1]["task"] == "timer", hangs


def test_hold_release_restart_through_the_supervisor(board):
    port = board.port
    assert run_mpk("hold", "pwm", "--port", port).returncode == 0
    tid = status(port)["pwm"]["tid"]
    assert run_mpk("fault", "pwm", "--port", port).returncode == 0
    wait_for(lambda: "pwm" not in status(port))          # ended, and held: not restarted
    p = run_mpk("release", "pwm", "--port", port)
    assert p.returncode == 0 and "released" in p.stdout
    assert wait_for(lambda: status(port).get("pwm"))["tid"] != tid
    tid = status(port)["pwm"]["tid"]
    p = run_mpk("restart", "pwm", "--port", port)
    assert p.returncode == 0 and "restarted pwm" in p.stdout, p.stdout
    assert wait_for(lambda: status(port).get("pwm"))["tid"] != tid
    assert_one_line_error(run_mpk("hold", "nosuch", "--port", port), "supervisor", "noent")
    assert_one_line_error(run_mpk("fault", "nosuch", "--port", port), "no task nosuch")
    assert_one_line_error(run_mpk("fault", "console", "--port", port), "will not fault itself")


def test_the_post_mortem_names_the_task_that_held_the_cpu_across_the_watchdog_reset(board):
    port = board.port
    n = len(resets(board))
    # From the REPL (the system stopped, every task kept): a task that never yields.
    p = run_mpk("repl", "--resume", "--port", port, input=(
        'exec("def _spin():\\n while True:\\n  pass\\n yield")\n'
        'kernel.running_kernel().spawn(_spin, name="spinner", prio=1)\n'))
    assert p.returncode == 0, p.stderr
    # the watchdog server cannot run: the hardware WDT (8 s) resets the board
    wait_for(lambda: len(resets(board)) > n, timeout=30)
    assert console_up(port)
    before = history(port)["before"]
    held = [r for r in before if r.get("kind") == "hold"]
    assert held and held[-1]["task"] == "spinner" and "without yielding" in held[-1]["why"], before
    boots = [r for r in before if r.get("kind") == "boot"]
    assert boots[-1]["cause"] == "watchdog" and boots[-1]["boot"] == held[-1]["boot"] + 1, before
    # the earlier boot's faults are there too, kept across the reset
    assert any(r.get("kind") == "fault" and r.get("task") == "gpio" for r in before), before
    p = run_mpk("faults", "--port", port)
    assert "hold spinner: held the CPU" in p.stdout and "reset cause watchdog" in p.stdout, p.stdout


def test_mpk_chaos_runs_the_campaign_on_the_board_and_leaves_it_running(board):
    p = run_mpk("chaos", "--seconds", "8", "--json", "--port", board.port, timeout=180)
    assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
    r = json.loads(p.stdout.strip().splitlines()[-1])
    # (how many faults 8 s hold depends on the host's load: 880 were seen beside the
    # emulated Pico, 1,500 on a quiet machine; the rate itself is make bench's business)
    assert r["total"] > 250 and r["verified"] > 25 and r["restarts"] > 0, r
    assert not any(r.get(k) for k in ("kernel_deaths", "hangs", "lost_calls", "wrong_replies",
                                      "input_crashes")), r
    assert console_up(board.port)                # the firmware runs again, /chaos is gone
    p = run_mpk("ls", "/", "--port", board.port)
    assert "chaos" not in p.stdout, p.stdout
