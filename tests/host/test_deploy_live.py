"""mpk deploy --live on a board running the firmware (the unix-port board and the emulated
Pico): one server's code changed is replaced on the running system, every other task
keeps its tid and its state; a new version that faults is rolled back by itself and the
deploy fails with the fault; what a running system cannot take is refused in one line;
a reset afterwards boots the tree the update left active."""
import ast
import json
import shutil

import pytest

import emu_helpers
from host_tools import link
from mpk_fixtures import ROOT, assert_one_line_error, run_mpk
from deployed import console_up, deployed_board

SOURCES = ("kernel", "servers", "boards", "hal", "firmware")
ADC = "servers/adc.py"
MARKED = ("        return sorted(self.board.ADC)\n", "        return sorted(self.board.ADC) + ['live-v2']\n")


def copy_project(dst):
    for d in SOURCES:
        shutil.copytree(ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dst


def call(port, server, msg):
    b = link.connect(port)
    try:
        r = link.ConsoleClient(b).request("call", {"to": server, "msg": repr(msg)}, timeout=10)
    finally:
        b.close()
    assert r and r.get("ok"), r
    return ast.literal_eval(r["data"])


def tasks(port):
    p = run_mpk("ps", "--json", "--via", "server", "--port", port)
    assert p.returncode == 0, p.stderr
    return {t["name"]: t["tid"] for t in json.loads(p.stdout)}


def log_seqs(port):
    p = run_mpk("log", "--json", "--via", "server", "--port", port)
    assert p.returncode == 0, p.stderr
    return [json.loads(line)["seq"] for line in p.stdout.splitlines() if line.strip()]


def deploy(port, project, *more, timeout=240):
    return run_mpk("deploy", "--port", port, "--root", str(project), *more, timeout=timeout)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("engine", ["unix", "rp2040"])
def test_deploy_live_replaces_one_server_and_keeps_the_rest_running(engine, tmp_path, tmp_path_factory):
    if engine == "rp2040":
        emu_helpers.require()
    project = copy_project(tmp_path / "project")
    b = deployed_board(tmp_path_factory, engine, tmp_path / "pico.img")    # the firmware up
    try:
        p = deploy(b.port, project)                 # the copy is the same build: up to date
        assert p.returncode == 0 and "up to date" in p.stdout, (p.stdout, p.stderr)
        assert "live-v2" not in call(b.port, "adc", ("channels",))
        before, seqs = tasks(b.port), log_seqs(b.port)
        assert before and seqs
        events = len(b.events)                  # resets of every kind the board has had

        # The changed server is replaced; every other task keeps running, state and all.
        src = (project / ADC).read_text()
        (project / ADC).write_text(src.replace(*MARKED))
        p = deploy(b.port, project, "--live", "--grace", "1")
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "deploy --live" in p.stdout and "replaced adc" in p.stdout, p.stdout
        after = tasks(b.port)
        assert after["adc"] != before["adc"]
        assert {n: t for n, t in after.items() if n != "adc"} == {n: t for n, t in before.items() if n != "adc"}
        assert "live-v2" in call(b.port, "adc", ("channels",))           # the new code
        assert set(seqs) <= set(log_seqs(b.port))                        # the log kept its records
        assert b.events[events:] == []                                   # no reset, not even a soft one

        # A version that faults at start is rolled back by itself; the deploy says so.
        (project / ADC).write_text(src.replace(*MARKED).replace(
            "    c = configure(CONFIG, config, name)\n",
            "    c = configure(CONFIG, config, name)\n    raise RuntimeError('adc v3 is broken')\n"))
        p = deploy(b.port, project, "--live", "--grace", "1")
        assert_one_line_error(p, "rolled back", "adc", "RuntimeError", "adc v3 is broken")
        assert "live-v2" in call(b.port, "adc", ("channels",))           # the old code again
        kept = tasks(b.port)
        assert {n: t for n, t in kept.items() if n != "adc"} == {n: t for n, t in before.items() if n != "adc"}

        # What a running system cannot take is refused before anything is written.
        (project / ADC).write_text(src.replace(*MARKED))
        (project / "kernel" / "trace.py").write_text((project / "kernel" / "trace.py").read_text() + "LIVE = 1\n")
        p = deploy(b.port, project, "--live")
        assert_one_line_error(p, "cannot update live", "kernel/trace", "the kernel", "mpk deploy")
        assert tasks(b.port) == kept                                     # and the system runs on

        # A reset boots the tree the rolled-back update left active: the v2 adc.
        p = run_mpk("reset", "--port", b.port)
        assert p.returncode == 0, p.stderr
        assert console_up(b.port, 120)
        assert "live-v2" in call(b.port, "adc", ("channels",))
    finally:
        b.stop()
