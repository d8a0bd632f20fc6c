"""A rack through labgrid, on one machine (issue 16): a labgrid coordinator and one exporter
on 127.0.0.1, two virtual boards (the unix-port board `mpk sim` and the emulated Pico
`mpk sim --engine rp2040`) described by `mpk rig export` and served by ser2net (through
host_tools/rack/bin/ser2net: on 127.0.0.1 only, TCP_NODELAY), then:

  * the whole HIL suite on both places in parallel (`mpk hil --board labgrid:PLACE --board
    labgrid:kind=pico`), the JUnit counts and the place/exporter in the results;
  * a second job on a held place neither steals it nor waits for ever (one line, at --wait);
  * a run killed with SIGKILL halfway: its place is released (its guard), nothing of it keeps
    running, and a new run acquires the place by its tags and passes;
  * a hung board (Ctrl-C disabled) is power-cycled through the place's power switch
    (labgrid's NetworkPowerPort, here a small HTTP switch that presses the RUN button).

Skipped, with the reason, where labgrid (`make lab`) or ser2net (Debian) is missing; then
`make test` runs the emulated Pico's suite directly instead.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import emu_helpers
from host_tools.hil import collect
from host_tools.rack import tools

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
EXPORTER = "rack"
LOOPBACK = "0100007F"       # 127.0.0.1 in /proc/net/tcp

pytestmark = pytest.mark.timeout(600)


# --- the pieces, without a rack ---------------------------------------------------------------
SHOW = """Place 'rack-sim-x':
  tags: engine=unix, kind=sim, loopback=yes
  matches:
    rack/sim-x/*
  acquired: vm/root.mpk42
  acquired resources:
    rack/sim-x/NetworkSerialPort/RawSerialPort
Acquired resource 'RawSerialPort' (rack/sim-x/NetworkSerialPort/RawSerialPort):
  {'acquired': 'rack-sim-x',
   'avail': True,
   'cls': 'NetworkSerialPort',
   'params': {'extra': {'path': '/dev/ttyX', 'proxy': 'localhost', 'proxy_required': False},
              'host': '127.0.0.1',
              'port': 38591,
              'speed': 115200}}
"""


def test_labgrid_board_specs_parse_and_label():
    from host_tools.commands.hil import absolute_spec
    from host_tools.hil.plugin import format_summary, resolve_boards
    from host_tools.rack import lease
    from host_tools.rack.client import parse_place

    assert lease.parse("labgrid:pico1") == ("pico1", {})
    assert lease.parse("labgrid:kind=pico+loopback=yes") == (None, {"kind": "pico", "loopback": "yes"})
    for bad in ("labgrid:", "labgrid:Kind=pico", "labgrid:kind=pico+x"):
        with pytest.raises(Exception, match="labgrid:"):
            lease.parse(bad)
    assert lease.split_label("a=labgrid:kind=pico") == ("a", "labgrid:kind=pico")
    assert lease.split_label("labgrid:kind=pico") == (None, "labgrid:kind=pico")
    assert lease.split_label("rack1=/dev/ttyACM0") is None
    assert lease.specs_of(["sim,labgrid:p1", "x=labgrid:kind=esp32"]) == ["labgrid:p1", "labgrid:kind=esp32"]
    # the tags are not LABEL=PORT, and not a path to make absolute
    specs = resolve_boards(["labgrid:rack-sim-x", "labgrid:kind=pico", "e=labgrid:kind=esp32"])
    assert [(s["label"], s["labgrid"], s["port"]) for s in specs] == [
        ("rack_sim_x", "labgrid:rack-sim-x", None), ("lab1", "labgrid:kind=pico", None),
        ("e", "labgrid:kind=esp32", None)]
    assert absolute_spec("labgrid:kind=pico,p=labgrid:x") == "labgrid:kind=pico,p=labgrid:x"
    with pytest.raises(pytest.UsageError, match="not a tag filter"):
        resolve_boards(["labgrid:kind=pico+oops"])
    # `show`, parsed; the per-board table names place and exporter
    info = parse_place(SHOW)
    assert info["acquired"] == "vm/root.mpk42" and info["tags"]["loopback"] == "yes"
    assert info["resources"]["RawSerialPort"]["params"]["port"] == 38591
    row = {"passed": 3, "failed": 0, "skipped": 1, "error": 0, "seconds": 2.0, "port": "rfc2217://h:1",
           "kind": "sim", "note": "", "place": "rack-sim-x", "exporter": "rack (h)"}
    lines = format_summary({"rack_sim_x": row}, ["rack_sim_x"])
    assert lines[0].split()[:5] == ["BOARD", "KIND", "PORT", "PLACE", "EXPORTER"]
    assert lines[1].split()[:6] == ["rack_sim_x", "sim", "rfc2217://h:1", "rack-sim-x", "rack", "(h)"]


def test_labgrid_export_describes_boards_by_serial_number_and_link():
    from host_tools.rack import export

    found = [{"port": "/dev/ttyACM0", "kind": "usb", "usb": "2e8a:0005", "serial_number": "E6614C311B",
              "description": "x"},
             {"port": "/dev/ttyUSB0", "kind": "usb", "usb": "10c4:ea60", "serial_number": "0001", "description": "x"},
             {"port": "/dev/ttyUSB1", "kind": "usb", "usb": "10c4:ea60", "serial_number": "0001", "description": "x"},
             {"port": "/dev/ttySIM", "kind": "virtual", "engine": "unix", "description": "virtual board (mpk sim)"},
             {"port": "/dev/ttyEMU", "kind": "virtual", "engine": "rp2040", "description": "emulated"}]
    probe = {"/dev/ttyACM0": {"uname": ["rp2", "rp2", "1.28.0", "v1.28.0", "Raspberry Pi Pico with RP2040"],
                              "machine": "Raspberry Pi Pico with RP2040"},
             "/dev/ttyUSB0": {"error": "no answer"}, "/dev/ttyUSB1": {"error": "no answer"}}
    boards = export.boards(found, probe=probe.get, extra_features=("loopback",))
    by_port = {b["port"]: b for b in boards}
    assert by_port["/dev/ttyACM0"]["resource"] == {
        "USBSerialPort": {"match": {"ID_SERIAL_SHORT": "E6614C311B"}, "speed": 115200}}
    assert by_port["/dev/ttyACM0"]["group"] == "pico-e6614c311b" and by_port["/dev/ttyACM0"]["kind"] == "pico"
    # a serial number two bridges share does not tell them apart: their port (topology) does
    assert "RawSerialPort" in by_port["/dev/ttyUSB0"]["resource"]
    assert by_port["/dev/ttyUSB0"]["group"] != by_port["/dev/ttyUSB1"]["group"]
    assert by_port["/dev/ttySIM"]["resource"] == {"RawSerialPort": {"port": "/dev/ttySIM", "speed": 115200}}
    tags = export.tags(by_port["/dev/ttyEMU"], "shelf1")
    assert tags["kind"] == "pico" and tags["engine"] == "rp2040" and tags["exporter"] == "shelf1"
    assert tags["emulated"] == tags["virtual"] == tags["loopback"] == tags["gpio"] == "yes" and "real" not in tags
    assert export.tags(by_port["/dev/ttyACM0"], "shelf1")["real"] == "yes"
    assert export.place_name(by_port["/dev/ttySIM"], "shelf1") == "shelf1-sim-ttysim"
    text = export.exporter_config(boards, "shelf1")
    assert "\n# " not in text        # a '#' line is a Jinja2 statement to labgrid: comments are '##'
    assert 'pico-e6614c311b:\n  USBSerialPort:\n    match:\n      ID_SERIAL_SHORT: "E6614C311B"\n' in text, text


def test_labgrid_guard_undoes_what_is_left_when_the_job_ends(tmp_path):
    from host_tools.rack.guard import Guard

    log = tmp_path / "calls"
    fake = tmp_path / "labgrid-client"
    fake.write_text("#!/bin/sh\necho \"$*\" >> %s\n" % log)
    fake.chmod(0o755)
    client = type("C", (), {"path": str(fake), "env": dict(os.environ)})()
    g = Guard(client)
    g.add("-p", "a", "release-from", "h/u")
    g.add("cancel-reservation", "T")
    g.add("-p", "b", "release-from", "h/u")
    g.remove("-p", "b", "release-from", "h/u")
    g.close()           # as a dead job's pipe would end: what is left runs, newest first
    assert log.read_text().splitlines() == ["cancel-reservation T", "-p a release-from h/u"]


def test_labgrid_commands_take_the_board_spec_where_they_take_a_port():
    from host_tools.cli import build_parser

    for argv in (["ps", "--board", "labgrid:p"], ["repl", "--port", "labgrid:p"], ["top", "--board", "labgrid:p"]):
        assert build_parser(argv).parse_args(argv).port == "labgrid:p"
    args = build_parser(["deploy", "--board", "labgrid:p"]).parse_args(["deploy", "--board", "labgrid:p"])
    from host_tools.rack import lease

    held = lease.for_command(args)
    assert held.specs == ["labgrid:p"] and args.board is None
    hil = build_parser(["hil"]).parse_args(["hil", "--board", "labgrid:kind=pico", "--board", "sim", "--wait", "5"])
    held = lease.for_command(hil)
    assert held.specs == ["labgrid:kind=pico"] and held.wait == 5


# --- a rack on this machine --------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PowerSwitch:
    """labgrid's NetworkPowerPort `simplerest` protocol for virtual boards, on 127.0.0.1:
    GET /power/PID/0|1 switches, GET /power/PID says 1 or 0; off then on presses the RUN
    button of the `mpk sim` with that pid (SIGUSR1: a hard reset)."""

    def __init__(self):
        self.events, self.on = [], {}
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = [p for p in self.path.split("/") if p]
                pid = int(parts[1])
                if len(parts) == 3:
                    on = parts[2] == "1"
                    if on and not switch.on.get(pid, True):
                        os.kill(pid, signal.SIGUSR1)
                    switch.on[pid] = on
                    switch.events.append((pid, on))
                body = ("1" if switch.on.get(pid, True) else "0").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/power/{index}/{value}" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Rack:
    """The processes of a one-machine rack; every one in a process group of its own, so
    that stop() ends it with what it started (the exporter's ser2net)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.env = dict(os.environ, LG_COORDINATOR="127.0.0.1:%d" % _free_port(), MPK_SIM_DIR=str(tmp / "boards"),
                        PATH=os.pathsep.join([str(BIN), os.environ["PATH"]]), NO_PROXY="127.0.0.1,localhost",
                        PYTHONPATH=str(ROOT))
        for var in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "LG_TOKEN", "LG_PLACE",
                    "MPK_PORT", "MPK_RACK_LEASES", "SER2NET_BIND"):
            self.env.pop(var, None)
        self.client = tools.command("labgrid-client")

    def start(self, name, argv, cwd=None, env=None):
        log = open(self.tmp / ("%s.log" % name), "w")
        p = subprocess.Popen(argv, cwd=str(cwd or self.tmp), env=env or self.env, stdout=subprocess.PIPE,
                             stderr=log, start_new_session=True, text=True)
        self.procs.append(p)
        return p

    def stop(self):
        for p in reversed(self.procs):
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    pass
            for stream in (p.stdout,):
                if stream:
                    stream.close()

    def lg(self, *args, check=True):
        r = subprocess.run([self.client] + list(args), env=self.env, capture_output=True, text=True, timeout=60)
        assert not check or r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout

    def holder(self, place):
        m = re.search(r"^  acquired: (.*)$", self.lg("-p", place, "show"), re.M)
        return None if not m or m.group(1) == "None" else m.group(1)

    def mpk(self, *args, timeout=600, env=None):
        t0 = time.monotonic()
        r = subprocess.run([str(BIN / "mpk")] + list(args), cwd=str(ROOT), env=env or self.env,
                           capture_output=True, text=True, timeout=timeout)
        return r, time.monotonic() - t0


def _wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def _virtual_board(rack, name, link, wiring, *engine):
    p = rack.start(name, [str(BIN / "mpk"), "sim", *engine, "--link", link, "--wiring", str(wiring)])
    port = p.stdout.readline().strip()
    assert port.startswith("/dev/"), (name, port, (rack.tmp / ("%s.log" % name)).read_text())
    return p


@pytest.fixture(scope="module")
def rack(tmp_path_factory):
    why = tools.missing()
    if why:
        pytest.skip(why)
    emu_helpers.require()
    tmp = tmp_path_factory.mktemp("rack")
    r = Rack(tmp)
    power = PowerSwitch()
    try:
        # the two virtual boards, wired as the HIL suite expects (its loopback jumpers)
        sys.path.insert(0, str(ROOT))
        from boards import sim as sim_def

        wiring = tmp / "hil-wiring.json"
        wiring.write_text(json.dumps(sim_def.HIL_WIRING))
        # labgrid exports ports under /dev/ only: a link there where we may, else the pty
        links = "/dev" if os.access("/dev", os.W_OK) else str(tmp)
        tag = "ttyMPKLG%d" % os.getpid()
        r.sim = _virtual_board(r, "sim", "%s/%su" % (links, tag), wiring)
        r.emu = _virtual_board(r, "emu", "%s/%se" % (links, tag), wiring, "--engine", "rp2040")
        # the coordinator, in a directory of its own (it writes places.yaml there)
        (tmp / "coordinator").mkdir()
        r.start("coordinator", [tools.command("labgrid-coordinator"), "-l", r.env["LG_COORDINATOR"]],
                cwd=tmp / "coordinator")
        host, port = r.env["LG_COORDINATOR"].split(":")
        _wait_for("the coordinator", lambda: _listening(int(port)), 30)
        # this host's boards, as mpk rig export describes them, with their places
        res, _ = r.mpk("rig", "export", "--name", EXPORTER, "-o", str(tmp / "exporter.yaml"), "--feature", "loopback",
                       "--places", timeout=120)
        assert res.returncode == 0, res.stderr
        places = dict(re.findall(r"^%s/(\S+): .* -> place (\S+)$" % EXPORTER, res.stderr, re.M))
        assert len(places) == 2, res.stderr
        r.sim_place = next(p for g, p in places.items() if g.startswith("sim-"))
        r.emu_place = next(p for g, p in places.items() if g.startswith("emu-"))
        # the unix-port board gets a power switch (a place's power resource, added by hand)
        conf = (tmp / "exporter.yaml").read_text()
        group = r.sim_place[len(EXPORTER) + 1:]
        conf = conf.replace("\n%s:\n" % group, "\n%s:\n  NetworkPowerPort:\n    model: simplerest\n"
                            "    host: %s\n    index: %d\n" % (group, json.dumps(power.url), r.sim.pid))
        (tmp / "exporter.yaml").write_text(conf)
        r.start("exporter", [tools.command("labgrid-exporter"), "-c", r.env["LG_COORDINATOR"], "-n", EXPORTER,
                             "--hostname", "127.0.0.1", str(tmp / "exporter.yaml")],
                env=dict(r.env, PATH=os.pathsep.join([tools.SER2NET_DIR, r.env["PATH"]])))
        _wait_for("the exporter's resources",
                  lambda: r.lg("resources", check=False).count("NetworkSerialPort") == 2, 60)
        r.power = power
        yield r
    finally:
        r.stop()
        power.close()


def _listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _listeners(port):
    """The local addresses (hex, as /proc/net/tcp{,6} has them) listening on `port`."""
    out = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(f).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                out.append(addr)
    return out


def _junit(path):
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    cases = []
    for c in suite.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in c.iter("property")}
        state = next((k for k in ("failure", "error", "skipped") if c.find(k) is not None), "passed")
        cases.append((c.get("name"), state, props))
    return counts, cases


def _suite_size(only=None):
    hil = ROOT / "tests" / "hil"
    return sum(len(collect.parse_module(p.read_text(), p)) for p in sorted(hil.glob("test_*.py"))
               if only is None or p.stem == only)


def test_labgrid_full_suite_on_two_places_in_parallel(rack, tmp_path):
    xml = tmp_path / "hil.xml"
    n = _suite_size()           # what the run collects, as it starts
    r, took = rack.mpk("hil", "--board", "labgrid:" + rack.sim_place, "--board", "labgrid:kind=pico",
                       "--flash", "--junit", str(xml), "--wait", "60")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    counts, cases = _junit(xml)
    assert counts["tests"] == 2 * n and counts["failures"] == 0 and counts["errors"] == 0, (counts, out[-3000:])
    by_place = {}
    for name, state, props in cases:
        by_place.setdefault(props["board_place"], []).append(state)
        assert props["board_exporter"] == "%s (127.0.0.1)" % EXPORTER, props
        assert props["board_port"].startswith("rfc2217://127.0.0.1:"), props
    assert sorted(by_place) == sorted([rack.sim_place, rack.emu_place]), by_place
    assert all(len(states) == n for states in by_place.values()), by_place
    kinds = {props["board_place"]: props["board_kind"] for _, _, props in cases}
    assert kinds == {rack.sim_place: "sim", rack.emu_place: "emulated pico"}, kinds
    # the per-board table names the places and the exporter
    table = out[out.index("HIL results per board"):]
    assert "PLACE" in table and "EXPORTER" in table, table
    for place in (rack.sim_place, rack.emu_place):
        assert re.search(r"^\S+ .* %s +%s \(127\.0\.0\.1\) +\d+ +0 +\d+ +0 " % (place, EXPORTER), table, re.M), table
    # both places are free again
    assert rack.holder(rack.sim_place) is None and rack.holder(rack.emu_place) is None
    print("full suite on two labgrid places: %.1f s" % took)


def test_labgrid_waiting_job_and_a_run_killed_halfway(rack, tmp_path):
    place = rack.sim_place
    slow = tmp_path / "slow"            # a run that lasts long enough to be waited for, then killed
    slow.mkdir()
    (slow / "test_slow.py").write_text("".join("def test_%02d():\n    import time\n    time.sleep(1)\n\n" % i
                                               for i in range(40)))
    log = open(tmp_path / "a.out", "w")
    a = subprocess.Popen([str(BIN / "mpk"), "hil", "--board", "labgrid:" + place, "--hil-dir", str(slow), "-v"],
                         cwd=str(ROOT), env=rack.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for("run A to pass two tests", lambda: (tmp_path / "a.out").read_text().count(" PASSED") >= 2, 120)
        holder = rack.holder(place)
        assert holder and holder.endswith(".mpk%d" % a.pid), holder
        # ser2net serves the held place's port on 127.0.0.1 only
        port = int(re.search(r"'port': (\d+)", rack.lg("-p", place, "show")).group(1))
        assert _listeners(port) == [LOOPBACK], _listeners(port)

        # a second job, by name and by tags: not stolen, not waited for without end, one line
        r, took = rack.mpk("hil", "--board", "labgrid:" + place, "--wait", "3")
        assert r.returncode != 0 and took < 3 + 8, (took, r.stdout, r.stderr)
        assert r.stderr.strip().splitlines() == [
            "mpk: error: place %s is busy (acquired by %s) and was not free within 3 s" % (place, holder)], r.stderr
        r, took = rack.mpk("ps", "--board", "labgrid:kind=sim", env=dict(rack.env, MPK_LABGRID_WAIT="2"))
        assert r.returncode != 0 and took < 2 + 8, (took, r.stdout, r.stderr)
        assert r.stderr.strip().splitlines() == ["mpk: error: no place with kind=sim was free within 2 s"], r.stderr
        assert rack.holder(place) == holder and a.poll() is None

        # kill -9 halfway: the guard releases the place, its pytest run dies with it
        children = _children(a.pid)
        assert children, "mpk hil runs pytest"
        a.kill()
        a.wait(10)
        t0 = time.monotonic()
        _wait_for("the killed run's place to be released", lambda: rack.holder(place) is None, 15)
        released = time.monotonic() - t0
        _wait_for("the killed run's pytest to end", lambda: not any(_alive(c) for c in children), 15)
    finally:
        if a.poll() is None:
            os.killpg(a.pid, signal.SIGKILL)
        log.close()

    # a new run takes the place (by its tags) and passes
    xml = tmp_path / "c.xml"
    r, took = rack.mpk("hil", "--board", "labgrid:kind=sim", "--flash", "-k", "test_fs", "--junit", str(xml))
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    counts, cases = _junit(xml)
    assert counts == {"tests": _suite_size("test_fs"), "failures": 0, "errors": 0, "skipped": 0}, counts
    assert {props["board_place"] for _, _, props in cases} == {place}
    assert rack.holder(place) is None
    print("place released %.2f s after kill -9; next run %.1f s" % (released, took))


def test_labgrid_lock_of_a_dead_job_is_taken_over(rack):
    """A job killed together with its guard (a whole cgroup killed) leaves its lock; the next
    mpk job of this host sees the holder's pid is gone, and takes the place."""
    place = rack.sim_place
    code = ("from host_tools.rack import lease; import time\n"
            "l = lease.Lease('labgrid:%s').acquire(5)\n"
            "print(l.guard.proc.pid, flush=True)\n"
            "time.sleep(600)\n" % place)
    job = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), env=rack.env, stdout=subprocess.PIPE,
                           text=True, start_new_session=True)
    try:
        guard = int(job.stdout.readline())
        os.kill(guard, signal.SIGKILL)
        job.kill()
        job.wait(10)
    finally:
        if job.poll() is None:
            job.kill()
        job.stdout.close()
    time.sleep(1)
    assert rack.holder(place).endswith(".mpk%d" % job.pid)
    r, _ = rack.mpk("ls", "--board", "labgrid:" + place, "/", env=dict(rack.env, MPK_LABGRID_WAIT="0"))
    assert r.returncode == 0, r.stderr
    assert rack.holder(place) is None


def test_labgrid_hung_board_is_power_cycled_through_its_place(rack, tmp_path):
    hil = tmp_path / "hil"
    hil.mkdir()
    (hil / "test_deaf.py").write_text(
        "HIL_TIMEOUT_S = 2\n\n"
        "def test_hangs_deaf():\n"
        "    import micropython\n"
        "    micropython.kbd_intr(-1)     # Ctrl-C is data now: only a power cycle helps\n"
        "    while True:\n"
        "        pass\n\n"
        "def test_after_power_cycle():\n"
        "    assert 1 + 1 == 2\n")
    rack.power.events.clear()
    r, took = rack.mpk("hil", "--board", "labgrid:" + rack.sim_place, "--hil-dir", str(hil), "--timeout", "2")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out[-4000:]
    assert "the board did not answer Ctrl-C: hard reset" in out, out[-4000:]
    assert "1 failed, 1 passed" in out, out[-4000:]
    assert (rack.sim.pid, False) in rack.power.events and rack.power.events[-1] == (rack.sim.pid, True), \
        rack.power.events
    assert rack.holder(rack.sim_place) is None


def _children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path("/proc/%s/stat" % d).read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d))
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
