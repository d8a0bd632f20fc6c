"""The pytest plugin: `pytest --board sim|auto|PORT|LABEL=PORT [--board ...] tests/hil`.

Registered through the package's entry points (pyproject.toml, [project.entry-points.pytest11]
mpk_hil), so any pytest run in the venv has these options:

    --board SPEC          repeatable (or comma-separated): sim (a virtual board started here,
                          labelled sim0, sim1, ...), emu (the official Pico firmware on an
                          emulated RP2040 started here: emu0, ...), auto (every USB board found, else the
                          running virtual boards, else one started here), a port
                          (/dev/ttyACM0, labelled ttyACM0), or LABEL=PORT
    --board-flash         deploy the firmware first (mpk deploy); virtual boards started
                          here always get it
    --hil-dir DIR         the on-device test modules (default: ini hil_dir, tests/hil)
    --hil-timeout S       per-test timeout when a module sets no HIL_TIMEOUT_S (default 60)
    --board-reconnect S   how long a board that dropped off is waited for (default 5)
    --board-reset-cmd CMD a command that power-cycles a real board ({port} is replaced)
    --board-feature F     a feature every real board has (wiring of the rack), for needs
    --board-wait S        how long to wait for a busy labgrid place (default 60)

A labgrid place (`--board labgrid:PLACE`, or `labgrid:kind=pico` for any free place with
those tags; host_tools/rack/) is acquired by the controller for the whole run (or taken
from the `mpk hil` that started it) and released at its end; its tags give the board's
engine and features (TAG=yes), its place and exporter go into the results.

On-device modules (test_*.py in the HIL dir) are collected here, not imported: every
`def test_*()` becomes one test per board, `<file>::<test>[<board>]`, run on the board
(session.HilBoard.run_test). Host-side tests use the fixtures:

    board           the HilBoard of the test's board (tests using it run once per board),
                    soft-reset before the test unless marked @pytest.mark.board_reset("none")
                    ("hard": a hard reset)
    kernel_system   the system image running on that board (session.KernelSystem):
                    kernel_system.call("fs", "usage") -> the server's reply
    hil_label       the board's label

@pytest.mark.needs("i2c", "wifi") (or host_tools.hil.plugin.needs) skips a host-side test on
a board without those features; on-device tests say it with NEEDS / @hil.needs(...).

Several boards run in parallel with pytest-xdist: one worker per board (started
automatically when more than one board is given and -n is not), every test of a board on
that board's worker (BoardScheduling). The terminal summary has one row per board.
"""
import json
import os
import re
import shutil
import tempfile
import time

import pytest

from host_tools.hil import collect
from host_tools.hil.session import BoardGone, BoardLost, HilBoard, KernelSystem, label_for_port
from host_tools.errors import MpkError

needs = pytest.mark.needs
STATE = pytest.StashKey()


# --- options -------------------------------------------------------------------------------
def pytest_addoption(parser):
    g = parser.getgroup("mpk-hil", "hardware-in-the-loop tests (mpk hil)")
    g.addoption("--board", action="append", default=[], metavar="sim|emu|auto|PORT|LABEL=PORT|labgrid:PLACE",
                help="run the HIL tests on this board (repeatable): sim, emu, auto, a serial port, "
                     "a labgrid place (labgrid:PLACE, labgrid:TAG=VALUE)")
    g.addoption("--board-flash", action="store_true", default=False,
                help="deploy the firmware to the boards first (mpk deploy)")
    g.addoption("--hil-dir", default=None, metavar="DIR",
                help="directory of the on-device test modules (default: ini hil_dir)")
    g.addoption("--hil-timeout", type=float, default=None, metavar="S",
                help="per-test timeout on the board when a module sets no HIL_TIMEOUT_S (default 60)")
    g.addoption("--board-reconnect", type=float, default=5.0, metavar="S",
                help="how long to wait for a board that dropped off before failing its tests (default 5)")
    g.addoption("--board-reset-cmd", default=None, metavar="CMD",
                help="shell command that power-cycles a real board; {port} is replaced")
    g.addoption("--board-feature", action="append", default=[], metavar="FEATURE",
                help="a feature the real boards have (e.g. loopback wiring), for needs")
    g.addoption("--board-wait", type=float, default=None, metavar="S",
                help="how long to wait for a busy labgrid place (default 60, or $MPK_LABGRID_WAIT)")
    g.addoption("--hil-log-lines", type=int, default=20, metavar="N",
                help="lines of board output shown with a failure (default 20)")
    parser.addini("hil_dir", "directory of the on-device HIL test modules", default="tests/hil")


# --- board specs -----------------------------------------------------------------------------
def resolve_boards(values, discover=None):
    """--board values -> [{"label", "port", "sim"}]; one-line UsageError for a bad port."""
    from host_tools.rack import lease

    out, nsim, nemu = [], 0, 0
    for value in values:
        for part in [p.strip() for p in value.split(",") if p.strip()]:
            label = None
            rack = lease.split_label(part)
            if rack:
                label, spec = rack
                try:
                    place, _ = lease.parse(spec)
                except MpkError as e:
                    raise pytest.UsageError("--board %s: %s" % (part, e)) from None
                out.append({"label": label or place or "lab%d" % len(out), "port": None, "sim": False,
                            "labgrid": spec, "named": bool(label or place)})
                continue
            if "=" in part and not part.startswith(("socket:", "rfc2217:")):
                label, part = part.split("=", 1)
            if part == "sim":
                out.append({"label": label or "sim%d" % nsim, "port": None, "sim": True})
                nsim += 1
            elif part == "emu":
                out.append({"label": label or "emu%d" % nemu, "port": None, "sim": True, "engine": "rp2040"})
                nemu += 1
            elif part == "auto":
                if discover is None:
                    from host_tools.devices import discover
                found = discover()
                usb = [d["port"] for d in found if d["kind"] == "usb"]
                ports = usb or [d["port"] for d in found]
                if not ports:
                    out.append({"label": "sim%d" % nsim, "port": None, "sim": True, "auto": True})
                    nsim += 1
                for p in ports:
                    out.append({"label": label_for_port(p), "port": p, "sim": False})
            else:
                if not part.startswith(("socket://", "rfc2217://")) and not os.path.exists(part):
                    raise pytest.UsageError("--board %s: no board at %s (the port does not exist)" % (part, part))
                out.append({"label": label or label_for_port(part), "port": part, "sim": False})
    return _unique_labels(out)


def _unique_labels(out):
    seen = {}
    for spec in out:
        base = spec["label"]
        if not re.match(r"^[A-Za-z0-9_.]+$", base):
            base = re.sub(r"[^A-Za-z0-9_.]", "_", base)
        label, i = base, 1
        while label in seen:
            label, i = "%s_%d" % (base, i), i + 1
        seen[label] = True
        spec["label"] = label
    return out


class HilState:
    """Per process: the boards, opened on first use, and (on the controller) the results."""

    def __init__(self, config, specs):
        self.config = config
        self.specs = specs
        self.labels = [s["label"] for s in specs]
        self.boards = {}
        self.workdir = None
        opt = config.option
        self.flash = opt.board_flash
        self.timeout = opt.hil_timeout or collect.DEFAULT_TIMEOUT_S
        self.reconnect = opt.board_reconnect
        self.reset_cmd = opt.board_reset_cmd
        self.features = tuple(opt.board_feature)
        self.log_lines = opt.hil_log_lines
        d = opt.hil_dir or config.getini("hil_dir")
        self.hil_dir = os.path.abspath(os.path.join(str(config.rootpath), d)) if not os.path.isabs(d) else d
        self.rows = {}       # label -> summary row (controller)
        self.rack = None     # the labgrid places the controller holds (rack.lease.Held)

    def board(self, label):
        b = self.boards.get(label)
        if b is None:
            spec = next(s for s in self.specs if s["label"] == label)
            if self.workdir is None:
                self.workdir = tempfile.mkdtemp(prefix="mpk-hil-")
            b = HilBoard(label, port=spec["port"], sim=spec["sim"], engine=spec.get("engine", "unix"),
                         workdir=self.workdir, flash=self.flash,
                         reconnect_s=self.reconnect, reset_cmd=self.reset_cmd,
                         extra_features=() if spec["sim"] else self.features + tuple(spec.get("tag_features", ())),
                         hil_dir=self.hil_dir, lease=spec.get("lease"))
            self.boards[label] = b
            try:
                b.start()
            except BoardGone:
                pass
        b.check()
        return b

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        label = props.get("board")
        if not label:
            return
        row = _row(self, label)
        row["seconds"] += report.duration
        row["port"] = props.get("board_port") or row["port"]
        row["kind"] = props.get("board_kind") or row["kind"]
        row["place"] = props.get("board_place") or row["place"]
        row["exporter"] = props.get("board_exporter") or row["exporter"]
        if props.get("board_state") == "gone" and not row["note"]:
            row["note"] = "board gone"
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.skipped:
                row["skipped"] += 1
            elif report.failed:
                row["failed" if report.when == "call" else "error"] += 1
            else:
                row["passed"] += 1
        elif report.when == "teardown" and report.failed:
            row["error"] += 1

    def close(self):
        for b in self.boards.values():
            try:
                b.close()
            except Exception:
                pass
        self.boards = {}
        if self.rack is not None:
            self.rack.__exit__(None, None, None)
            self.rack = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _state(config):
    return config.stash.get(STATE, None)


def _hold_places(specs, wait):
    """Acquire the labgrid places among the specs (or take them from the `mpk hil` that
    started this run): each spec gets its place's serial URL, engine and features (its
    tags), and the lease its workers power-cycle through. Returns the Held, or None."""
    from host_tools.rack import lease

    rack_specs = [s for s in specs if s.get("labgrid")]
    if not rack_specs:
        return None
    held = lease.held([s["labgrid"] for s in rack_specs], lease.DEFAULT_WAIT_S if wait is None else wait)
    try:
        leases = held.__enter__()
    except MpkError as e:
        raise pytest.UsageError(str(e)) from None
    for spec, lz in zip(rack_specs, leases):
        spec.update(port=lz.url, place=lz.place, exporter="%s (%s)" % (lz.exporter, lz.host), lease=lz.to_dict(),
                    engine=lz.tags.get("engine", "unix"),
                    tag_features=sorted(k for k, v in lz.tags.items() if v == "yes"))
        if not spec["named"]:
            spec["label"] = lz.place
    _unique_labels(specs)
    return held


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*features): skip on a board that lacks one of these features")
    config.addinivalue_line("markers", "board_reset(kind): soft (default), hard or none before the test")
    config.addinivalue_line("markers", "kernel_system(drop=('watchdog',)): tasks left out of the system image")
    # pyserial's RFC 2217 client (a labgrid place's port) still calls Thread.setDaemon()
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:serial.rfc2217")
    winput = getattr(config, "workerinput", None)
    if winput is not None and "mpk_hil_specs" in winput:
        specs = json.loads(winput["mpk_hil_specs"])
        rack = None
    else:
        specs = resolve_boards(config.option.board)
        rack = None if config.option.collectonly else _hold_places(specs, config.option.board_wait)
    st = HilState(config, specs)
    st.rack = rack
    config.stash[STATE] = st
    config.pluginmanager.register(st, "mpk_hil_state")
    # Several boards, pytest-xdist there and -n not given: one worker per board.
    if (winput is None and len(specs) > 1 and config.pluginmanager.hasplugin("xdist")
            and not getattr(config.option, "numprocesses", None) and not config.option.collectonly
            and not config.getoption("usepdb", False) and not getattr(config.option, "tx", None)):
        config.option.numprocesses = len(specs)
        config.option.tx = ["popen"] * len(specs)
        config.option.dist = "load"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    st = _state(node.config)
    if st is not None:
        node.workerinput["mpk_hil_specs"] = json.dumps(st.specs)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    st = _state(config)
    if st is None or not st.specs:
        return None
    from xdist.scheduler import LoadScopeScheduling

    labels = set(st.labels)

    class BoardScheduling(LoadScopeScheduling):
        """Every test of one board on one worker (the worker that owns that board)."""

        def _split_scope(self, nodeid):
            return board_of(nodeid, labels) or nodeid

    return BoardScheduling(config, log)


def board_of(nodeid, labels):
    m = re.search(r"\[([^\[\]]*)\]$", nodeid.split("@")[0])
    if not m:
        return None
    for part in [m.group(1)] + m.group(1).split("-"):
        if part in labels:
            return part
    return None


def pytest_report_header(config):
    st = _state(config)
    if st is None or not st.specs:
        return None
    return "hil: boards %s; tests from %s" % (
        ", ".join("%s=%s" % (s["label"], "virtual (started here)" if s["sim"] else
                             "place %s on %s, %s" % (s["place"], s["exporter"], s["port"]) if s.get("place")
                             else s["port"]) for s in st.specs),
        os.path.relpath(st.hil_dir, str(config.rootpath)))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    st = _state(session.config)
    if st is not None:
        st.close()


def pytest_unconfigure(config):
    st = _state(config)
    if st is not None:
        st.close()          # a run that ended before its session did still releases its places


# --- collection of on-device modules ---------------------------------------------------------
def _in_hil_dir(st, path):
    try:
        return os.path.commonpath([st.hil_dir, os.path.abspath(str(path))]) == st.hil_dir
    except ValueError:
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    st = _state(parent.config)
    if st is not None and _in_hil_dir(st, module_path):
        return HilModule.from_parent(parent, path=module_path)
    return None


class HilModule(pytest.File):
    def collect(self):
        st = _state(self.config)
        with open(self.path, encoding="utf-8") as f:
            tests = collect.parse_module(f.read(), self.path)
        labels = st.labels or [None]
        for t in tests:
            for label in labels:
                name = "%s[%s]" % (t.name, label) if label else t.name
                yield HilItem.from_parent(self, name=name, test=t, label=label)


class HilFailure(Exception):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


class HilItem(pytest.Item):
    def __init__(self, *, test, label, **kw):
        super().__init__(**kw)
        self.test = test
        self.label = label
        if label:
            self.user_properties.append(("board", label))
        for f in test.needs:
            self.add_marker(pytest.mark.needs(f))
        if self.config.pluginmanager.hasplugin("timeout"):
            # our own timeout stops the test on the board; this one only guards the host
            self.add_marker(pytest.mark.timeout(self._timeout() + 60))

    def _timeout(self):
        st = _state(self.config)
        return self.test.timeout or st.timeout

    def runtest(self):
        st = _state(self.config)
        if not self.label:
            pytest.skip("no board: run with --board sim|auto|PORT (or `mpk hil`)")
        b = _board_for(self, st, self.label)
        r = b.run_test(self.test.module, self.test.name, self._timeout())
        if r.status == "passed":
            return
        raise HilFailure(self._failure_text(b, r, st.log_lines))

    def _failure_text(self, b, r, n):
        where = "%s::%s on board %s" % (self.test.module, self.test.name, b.describe())
        lines = []
        if r.status == "timeout":
            lines.append("%s: %s" % (where, r.note))
        else:
            lines.append("%s failed on the board:" % where)
            lines.append(r.err.rstrip() or "(no traceback: the test printed no HIL-OK)")
        out = [l for l in r.out.replace("\r\n", "\n").split("\n") if l.strip()]
        if out:
            lines.append("--- board output (last %d lines) ---" % min(n, len(out)))
            lines.extend(out[-n:])
        if r.trace:
            lines.append("--- kernel trace (last events) ---")
            lines.append(r.trace.replace("\r\n", "\n"))
        if r.status == "timeout" and r.err:
            lines.append("--- what the board said when stopped ---")
            lines.append(r.err.replace("\r\n", "\n"))
        if "ImportError" in r.err and not b.has_firmware:
            lines.append("(no firmware deployed on %s: run with --board-flash)" % b.label)
        return "\n".join(lines)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, HilFailure):
            return excinfo.value.text
        if isinstance(excinfo.value, MpkError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.test.lineno - 1, "hil %s::%s[%s]" % (self.test.module, self.test.name, self.label)


def _board_for(node, st, label):
    """The started board of `label` for a test; skips for a missing feature; fails (one
    line) for a board that is gone."""
    gone = None
    try:
        b = st.board(label)
    except (BoardGone, BoardLost) as e:
        gone = str(e)
    if gone:
        node.user_properties.append(("board_state", "gone"))
        pytest.fail("not run: " + gone, pytrace=False)
    node.user_properties.append(("board_port", b.port))
    if b.lease is not None:
        node.user_properties.append(("board_place", b.lease.place))
        node.user_properties.append(("board_exporter", "%s (%s)" % (b.lease.exporter, b.lease.host)))
    node.user_properties.append(("board_kind", ("emulated " if b.engine == "rp2040" else "virtual " if b.sim else "") + b.name))
    want = []
    for m in node.iter_markers("needs"):
        want.extend(m.args)
    missing = [f for f in dict.fromkeys(want) if f not in b.features]
    if missing:
        msg = "board %s (%s) lacks %s" % (label, b.name, ", ".join(missing))
        try:
            raise pytest.skip.Exception(msg, _use_item_location=True)
        except TypeError:
            pytest.skip(msg)
    return b


# --- host-side fixtures -------------------------------------------------------------------------
def pytest_generate_tests(metafunc):
    st = _state(metafunc.config)
    if st is not None and st.labels and "hil_label" in metafunc.fixturenames:
        metafunc.parametrize("hil_label", st.labels, ids=st.labels)


@pytest.fixture
def hil_label():
    pytest.skip("no board: run with --board sim|auto|PORT (or `mpk hil`)")


@pytest.fixture
def board(request, hil_label):
    st = _state(request.config)
    request.node.user_properties.append(("board", hil_label))
    b = _board_for(request.node, st, hil_label)
    m = request.node.get_closest_marker("board_reset")
    kind = m.args[0] if m and m.args else "soft"
    failed = None
    try:
        if kind == "soft":
            b.soft_reset()
        elif kind == "hard":
            b.hard_reset()
    except (BoardGone, BoardLost) as e:
        failed = str(e)
    if failed:
        pytest.fail(failed, pytrace=False)
    return b


@pytest.fixture
def kernel_system(request, board):
    m = request.node.get_closest_marker("kernel_system")
    drop = tuple(m.kwargs.get("drop", ("watchdog",))) if m else ("watchdog",)
    ks = KernelSystem(board, drop=drop)
    failed = None
    try:
        ks.start()
    except (BoardGone, BoardLost, MpkError) as e:
        failed = str(e)
    if failed:
        pytest.fail(failed, pytrace=False)
    yield ks
    ks.stop()


# --- per-board summary ------------------------------------------------------------------------
def _row(st, label):
    return st.rows.setdefault(label, {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "seconds": 0.0,
                                      "port": "", "kind": "", "note": "", "place": "", "exporter": ""})


def format_summary(rows, labels):
    """The per-board table; PLACE and EXPORTER columns when a board is a labgrid place."""
    rack = any(r.get("place") for r in rows.values())
    head = ("BOARD", "KIND", "PORT") + (("PLACE", "EXPORTER") if rack else ()) + (
        "PASSED", "FAILED", "SKIPPED", "ERRORS", "TIME", "NOTE")
    body = []
    for label in labels:
        r = rows.get(label)
        if r is None:
            continue
        where = (r.get("place") or "-", r.get("exporter") or "-") if rack else ()
        body.append((label, r["kind"] or "-", r["port"] or "-") + where + (str(r["passed"]), str(r["failed"]),
                     str(r["skipped"]), str(r["error"]), "%.1fs" % r["seconds"], r["note"]))
    if not body:
        return []
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
    fmt = lambda row: "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
    return [fmt(head)] + [fmt(row) for row in body]


def pytest_terminal_summary(terminalreporter, config):
    st = _state(config)
    if st is None or not st.specs:
        return
    lines = format_summary(st.rows, st.labels)
    if lines:
        terminalreporter.section("HIL results per board")
        for line in lines:
            terminalreporter.write_line(line)
