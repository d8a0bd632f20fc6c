"""`mpk hil`: run the HIL suite (tests/hil) on one board or several, through pytest and
the HIL plugin (host_tools/hil/plugin.py); the per-board table ends the report.

    mpk hil                                  # every board found, else a virtual board
    mpk hil --board sim --board sim          # two virtual boards, in parallel
    mpk hil --board /dev/ttyACM0 --flash -k gpio --junit hil.xml
    mpk hil --board labgrid:shelf1-pico-e6614c --board labgrid:kind=esp32 --wait 600   # a rack's

A labgrid board is acquired for the whole run by the command line (host_tools/cli.py, through
host_tools/rack/lease.py) and handed to the pytest run, which dies with this process: a
killed `mpk hil` leaves nothing running, and its guard releases the place.
"""
import os
import sys

from host_tools.build import PROJECT_ROOT
from host_tools.errors import MpkError


def arguments(p):
    p.add_argument("--board", "-b", action="append", default=[], metavar="sim|emu|auto|PORT|labgrid:PLACE",
                   help="a board to test (repeatable): sim (a virtual board started here), emu (an emulated "
                        "Pico started here), a port, a labgrid place (labgrid:PLACE, or any free one with "
                        "these tags: labgrid:kind=pico); default: auto, every board found, else a virtual one")
    p.add_argument("--wait", dest="lab_wait", type=float, default=None, metavar="S",
                   help="how long to wait for a busy labgrid place (default 60, or $MPK_LABGRID_WAIT)")
    p.add_argument("--flash", "--board-flash", dest="flash", action="store_true",
                   help="deploy the firmware to the boards first (virtual boards always get it)")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="only the tests matching EXPR (pytest -k)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML to FILE")
    p.add_argument("--hil-dir", metavar="DIR", help="the on-device test modules (default: tests/hil)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="per-test timeout when a module sets no HIL_TIMEOUT_S (default 60)")
    p.add_argument("--reset-cmd", metavar="CMD", help="command that power-cycles a real board ({port})")
    p.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    p.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="more pytest arguments, after --")


KEYWORDS = ("sim", "emu", "auto")


def absolute_spec(spec):
    """A --board value with its port as an absolute path: pytest runs from the project root,
    so `--board ./ttyPICO` must mean the link where the user typed it."""
    parts = []
    for part in spec.split(","):
        if "labgrid:" in part:      # a place, not a path (and its tags are not LABEL=PORT)
            parts.append(part)
            continue
        label, sep, port = part.rpartition("=") if "=" in part and "://" not in part else ("", "", part)
        if port and port not in KEYWORDS and "://" not in port and not os.path.isabs(port):
            port = os.path.abspath(port)
        parts.append(label + sep + port)
    return ",".join(parts)


def pytest_argv(args):
    """The pytest command line for these arguments (boards checked first: one-line errors)."""
    import pytest

    from host_tools.hil.plugin import resolve_boards

    boards = [absolute_spec(b) for b in (args.board or ["auto"])]
    try:
        specs = resolve_boards(boards)
    except pytest.UsageError as e:
        raise MpkError(str(e)) from None
    if any(s.get("auto") for s in specs):
        print("mpk hil: no board found: testing on a virtual board", file=sys.stderr)
    hil_dir = os.path.abspath(args.hil_dir) if args.hil_dir else os.path.join(str(PROJECT_ROOT), "tests", "hil")
    if not os.path.isdir(hil_dir):
        raise MpkError("no HIL tests at %s" % hil_dir)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(PROJECT_ROOT),
            "-q" if not args.verbose else "-v", hil_dir, "--hil-dir", hil_dir]
    for b in boards:
        argv += ["--board", b]
    if args.flash:
        argv.append("--board-flash")
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.junit:
        argv += ["--junitxml", os.path.abspath(args.junit)]
    if args.timeout:
        argv += ["--hil-timeout", str(args.timeout)]
    if args.reset_cmd:
        argv += ["--board-reset-cmd", args.reset_cmd]
    if args.lab_wait is not None:
        argv += ["--board-wait", str(args.lab_wait)]
    if args.exitfirst:
        argv.append("-x")
    return argv + list(args.pytest_args)


def run(args):
    from host_tools.rack.lease import run_child

    argv = pytest_argv(args)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    rc = run_child(argv, cwd=str(PROJECT_ROOT), env=env).returncode
    if rc == 5:
        raise MpkError("no HIL test matched" + (" -k %s" % args.keyword if args.keyword else ""))
    if rc not in (0, 1):
        raise MpkError("the HIL run did not complete (pytest exit status %d)" % rc)
    return rc
