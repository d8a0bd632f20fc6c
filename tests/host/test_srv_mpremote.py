"""/srv on a board running the firmware, read with unmodified mpremote: `mpremote resume fs
cat :/srv/ps` shows the same tasks as `mpk ps` (the same tids and names; the figures move),
and `fs ls :/srv` lists the system's files; the system runs on afterwards."""
import json

from mpk_fixtures import run_mpk
from sim_helpers import MPREMOTE, run_tool
from deployed import console_up
from test_fault_control import board  # noqa: F401  (a unix-port board with the firmware up)


def test_mpremote_reads_srv_ps_as_mpk_ps_sees_the_system(board):
    p = run_mpk("ps", "--json", "--via", "server", "--port", board.port)
    assert p.returncode == 0, p.stderr
    seen = [(t["tid"], t["name"]) for t in json.loads(p.stdout)]

    p = run_tool(MPREMOTE, "connect", board.port, "resume", "fs", "cat", ":/srv/ps")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().strip().splitlines()
    assert lines[0].split()[:2] == ["TID", "NAME"]
    assert [(int(ln.split()[0]), ln.split()[1]) for ln in lines[1:]] == seen

    p = run_tool(MPREMOTE, "connect", board.port, "resume", "fs", "ls", ":/srv")
    assert p.returncode == 0, p.stderr
    listed = p.stdout.decode()
    for f in ("ps", "trace", "faults", "log", "supervisor/", "gpio/"):
        assert f in listed, listed
    p = run_tool(MPREMOTE, "connect", board.port, "resume", "fs", "cat", ":/srv/gpio/protocol")
    assert p.returncode == 0 and b"claim(" in p.stdout, p.stdout

    # mpremote stopped the system to read (Ctrl-C keeps every task); mpk's read through
    # the REPL resumes it, as it was
    assert run_mpk("ps", "--via", "repl", "--port", board.port).returncode == 0
    assert console_up(board.port, 30)
    p = run_mpk("ps", "--json", "--via", "server", "--port", board.port)
    assert [(t["tid"], t["name"]) for t in json.loads(p.stdout)] == seen
