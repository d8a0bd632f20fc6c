"""The no-change path of `mpk deploy`: one round trip, the stopped system resumed as it was.

Also: the CLI imports only the chosen command's modules, and the scan's line format.
"""
import json
import os
import subprocess
import sys
import time

import pytest

from host_tools import deploy as D
from host_tools.link import open_board
from mpk_fixtures import ROOT, make_tree, run_mpk, sim_available, virtual_board  # noqa: F401

ok, why = sim_available()

BOOT = (ROOT / "firmware" / "boot.py").read_text()


def quiet(*a):
    pass


def ps(port):
    p = run_mpk("ps", "--port", port, "--json", "--via", "server", timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def wait_for_console(port, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        p = run_mpk("ps", "--port", port, "--json", "--via", "server", timeout=30)
        if p.returncode == 0:
            return json.loads(p.stdout)
        if time.monotonic() > deadline:
            raise AssertionError(p.stderr)
        time.sleep(0.2)


@pytest.mark.skipif(not ok, reason=why)
def test_no_change_deploy_resumes_the_running_system(virtual_board):
    port = virtual_board.port
    s1 = D.deploy(port=port, log=quiet)
    assert s1["switched"]
    before = wait_for_console(port)
    resets = virtual_board.events.count("soft reset")
    virtual_board.clear_output()

    p = run_mpk("deploy", "--port", port, "--json", timeout=60)
    assert p.returncode == 0, p.stderr
    s2 = json.loads(p.stdout)
    assert s2["up_to_date"] and s2["sent"] == 0 and s2["after"] == "resumed"

    # The same system, not a restarted one: no soft reset, the same tasks (tids), their
    # CPU time kept and still growing, and the console server answering while it runs.
    after = ps(port)
    assert virtual_board.events.count("soft reset") == resets
    assert b"soft reboot" not in virtual_board.output()
    assert {t["tid"]: t["name"] for t in after} == {t["tid"]: t["name"] for t in before}
    sup = lambda ts: [t for t in ts if t["name"] == "supervisor"][0]  # noqa: E731
    assert sup(after)["cpu_ms"] >= sup(before)["cpu_ms"]
    # The scan left nothing behind in the REPL's globals of the resumed system.
    with open_board(port) as b:
        left = b.exec("print([n for n in ('_b', '_m', '_h', '_w', '_f', '_a', '_fs') if n in globals()])")
        assert left.decode().strip() == "[]"
        assert b.eval("open('/mpk/active').read().strip()") == "a"


@pytest.mark.skipif(not ok, reason=why)
def test_no_change_deploy_starts_a_board_left_at_the_repl(virtual_board, tmp_path):
    # No kernel to resume (the board sits at the REPL after a soft reset in raw mode):
    # the deploy soft-resets, so the board runs its firmware afterwards.
    root = make_tree(tmp_path / "proj", {
        "firmware/boot.py": BOOT,
        "firmware/main.py": "def main():\n    print('FIRMWARE up')\n",
        "kernel/__init__.py": "VERSION = 1\n",
    })
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE up")
    with open_board(virtual_board.port, soft_reset=True):
        pass  # leaves the board at the friendly REPL, main.py not run
    virtual_board.clear_output()
    s = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s["up_to_date"] and s["after"] == "reset"
    virtual_board.wait_output(b"FIRMWARE up")


@pytest.mark.skipif(not ok, reason=why)
def test_no_change_deploy_with_no_reset_leaves_the_system_stopped(virtual_board):
    port = virtual_board.port
    D.deploy(port=port, log=quiet)
    wait_for_console(port)
    s = D.deploy(port=port, log=quiet, reset=False)
    assert s["after"] == "stopped"
    p = run_mpk("ps", "--port", port, "--json", "--via", "server", timeout=30)
    assert p.returncode != 0  # nobody answers in JSON mode: the system is stopped
    # ... and `mpk ps` through the REPL reads it and resumes it.
    p = run_mpk("ps", "--port", port, "--json", timeout=30)
    assert p.returncode == 0 and json.loads(p.stdout)
    ps(port)


def test_parse_scan_lines():
    out = (b"F a 0123abcd 10 kernel/__init__.mpy\r\nD a kernel/\r\nF a None 3 x y.txt\r\nN b\r\n"
           b"{'active': 'a', 'root': {'boot.py': None, 'main.py': ('ff', 1)}, 'fs': None, 'mpy': None,"
           b" 'platform': 'rp2', 'machine': 'x', 'hash': True, 'kernel': False}\r\n")
    s = D.parse_scan(out)
    assert s["a"] == {"kernel/__init__.mpy": ("0123abcd", 10), "kernel/": None, "x y.txt": (None, 3)}
    assert s["b"] is None and s["active"] == "a" and s["root"]["main.py"] == ("ff", 1)
    with pytest.raises(D.MpkError):
        D.parse_scan(b"garbage\r\n")


def test_one_command_table_and_one_module_per_command():
    import importlib

    from host_tools import cli
    from host_tools.commands import COMMANDS

    modules = {f[:-3] for f in os.listdir(ROOT / "host_tools" / "commands")
               if f.endswith(".py") and f != "__init__.py"}
    assert modules == set(COMMANDS)
    parser = cli.build_parser()
    sub = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"][0]
    assert list(sub.choices) == list(COMMANDS)          # the table's order is --help's
    for name in COMMANDS:
        mod = importlib.import_module("host_tools.commands." + name)
        assert callable(mod.arguments) and callable(mod.run), name
        args = parser.parse_args([name] + {"run": ["f.py"], "cat": ["x"], "rm": ["x"], "fault": ["t"],
                                           "hold": ["t"], "release": ["t"], "restart": ["t"],
                                           "rig": ["places"]}.get(name, []))
        assert args.func is mod.run, name


def test_cli_deploy_imports_neither_mpremote_nor_other_commands():
    code = ("import sys\nfrom host_tools import cli\ncli.build_parser(['deploy', '--port', 'x'])\n"
            "import host_tools.deploy, host_tools.link\n"
            "print(sorted(m for m in sys.modules if m.startswith(('mpremote', 'host_tools.commands.', "
            "'host_tools.sim', 'host_tools.flash', 'rich'))))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['host_tools.commands.deploy']"


def test_resume_that_is_not_taken_falls_back_to_a_soft_reset():
    # The REPL may answer late (the board was still booting when Ctrl-C came): the
    # no-change deploy then starts the same firmware with a soft reset, not an error.
    from host_tools import deploy as D
    from host_tools.link import BoardGone

    calls = []

    class LateBoard:
        def resume(self, code):
            calls.append("resume")
            raise BoardGone("board on X stopped answering while resuming the system (no REPL prompt)")

        def soft_reset(self):
            calls.append("soft_reset")

    assert D._let_run(LateBoard(), {"kernel": True}, reset=True) == "reset"
    assert calls == ["resume", "soft_reset"]
    assert D._let_run(LateBoard(), {"kernel": True}, reset=False) == "stopped"
