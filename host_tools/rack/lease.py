"""A board of the rack, held for one job: the board spec `labgrid:...`.

    labgrid:PLACE                    that place
    labgrid:kind=pico                any free place with these tags (`+` joins several:
    labgrid:kind=pico+loopback=yes   labgrid:kind=pico+loopback=yes)

Every command takes it where it takes a port (`--port`/`--board`, $MPK_PORT), `mpk hil
--board` too. The command acquires the place for as long as it runs (`held()`) and uses
the place's serial port, which the exporter serves over RFC 2217 (ser2net) on a new TCP
port at every acquire: `rfc2217://HOST:PORT?ign_set_control` (ign_set_control: ser2net
never acknowledges DTR/RTS on a pseudo-terminal, and pyserial would wait 3 s for it).

A place is never stolen and never waited for without end: a busy named place is first
tried once, then queued for through a labgrid reservation (`name=PLACE`; tags always go
through one), which the coordinator hands out in order; after `wait` seconds the job gives
up with one line. Whatever happens (an error, Ctrl-C, SIGKILL) the place is released: by
`release()`, else by the job's guard (guard.py). A place held by a dead mpk job of this
host (the holder "HOST/USER.mpkPID" whose PID is gone) is taken over.

The holder is "HOST/USER.mpkPID" (LG_HOSTNAME, LG_USERNAME as labgrid reads them, then this
process's pid): each job is a holder of its own, so two jobs of one user never share a
lock by accident. A command that runs another process on the board (`mpk hil` runs pytest)
hands its leases down in $MPK_RACK_LEASES (`hand_down`, `handed_down`): the child uses the
place as the same holder (power cycles) but never releases it.
"""
import concurrent.futures
import getpass
import json
import os
import re
import select
import socket
import subprocess
import sys
import time

from host_tools.errors import MpkError
from host_tools.rack.client import CALL_TIMEOUT_S, Client, LabgridError, error_line, parse_places
from host_tools.rack.guard import Guard

SCHEME = "labgrid:"
ENV = "MPK_RACK_LEASES"
# How long a busy place is waited for, unless the command says (mpk hil --wait).
DEFAULT_WAIT_S = float(os.environ.get("MPK_LABGRID_WAIT", "60"))
PORT_PUBLISHED_S = 15.0     # the exporter starts ser2net after the acquire, then publishes its port


def is_spec(value):
    return isinstance(value, str) and value.startswith(SCHEME)


def split_label(part):
    """"LABEL=labgrid:..." -> ("LABEL", "labgrid:..."); a bare spec -> (None, spec); else None."""
    if is_spec(part):
        return None, part
    label, sep, rest = part.partition("=")
    if sep and is_spec(rest):
        return label, rest
    return None


def parse(spec):
    """(place or None, {tag: value}) of a spec; one-line MpkError for a malformed one."""
    body = spec[len(SCHEME):]
    if not body:
        raise MpkError("%s needs a place (labgrid:PLACE) or tags (labgrid:kind=pico)" % spec)
    if "=" not in body:
        return body, {}
    tags = {}
    for kv in body.split("+"):
        k, sep, v = kv.partition("=")
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_]+", k):
            raise MpkError("%s: %r is not a tag filter (KEY=VALUE, keys in lower case; + joins them)"
                           % (spec, kv))
        tags[k] = v
    return None, tags


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def own_identity():
    """("HOST", "USER.mpkPID"): this job as a holder of places."""
    host = os.environ.get("LG_HOSTNAME") or socket.gethostname()
    user = os.environ.get("LG_USERNAME") or getpass.getuser()
    return host, "%s.mpk%d" % (user, os.getpid())


class Lease:
    """One place, acquired (acquire) or handed down (from_dict). After acquire: place,
    url, exporter (its name), host (where its serial port is served), tags, power."""

    def __init__(self, spec, client=None):
        self.spec = spec
        self.wanted, self.filters = parse(spec)
        if client is None:
            host, user = own_identity()
            client = Client(host=host, user=user)
        self.client = client
        self.holder = "%s/%s" % (client.env["LG_HOSTNAME"], client.env["LG_USERNAME"])
        self.place = self.wanted
        self.acquired = False       # this process holds it (and releases it)
        self.url = self.exporter = self.host = None
        self.tags = {}
        self.power = False
        self.guard = None
        self.holder_seen = None     # who held the named place when we found it busy
        self._cancel = None         # (the running cancel-reservation call, its token)

    # --- acquiring ---------------------------------------------------------------------
    def acquire(self, wait=DEFAULT_WAIT_S):
        self.guard = Guard(self.client)     # first: a death from here on is undone
        self.wait, self.deadline = wait, time.monotonic() + wait
        try:
            if self.wanted:
                self._acquire_named()
            else:
                self._queue(self.filters)
            self._learn(time.monotonic() + PORT_PUBLISHED_S)
        except BaseException:
            self._cancelled()
            self.release()
            raise
        self._cancelled()
        return self

    def _cancelled(self):
        if self._cancel is not None:
            proc, token = self._cancel
            self._cancel = None
            try:
                proc.communicate(timeout=CALL_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return          # the guard cancels it, at the end
            if self.guard is not None:
                self.guard.remove("cancel-reservation", token)

    def _try(self, place):
        """Acquire `place` now: True, or False when someone else holds (or has reserved) it."""
        pending = ("-p", place, "release-from", self.holder)
        self.guard.add(*pending)            # before: a kill during the call is undone too
        p = self.client.run("acquire", place=place, check=False)
        if p.returncode == 0:
            # labgrid takes PLACE as a pattern (part of a name, or +TOKEN): keep the name
            m = re.search(r"acquired place (\S+)", p.stdout)
            name = m.group(1) if m else place
            release = ("-p", name, "release-from", self.holder)
            if release != pending:
                self.guard.add(*release)
                self.guard.remove(*pending)
            self.place, self.acquired, self._release = name, True, release
            return True
        self.guard.remove(*pending)
        text = (p.stderr or p.stdout).lower()
        if "already acquired" in text or "not reserved for" in text:
            return False
        if place.startswith("+"):
            return False
        raise LabgridError(_place_error(place, p, self.client))

    def _acquire_named(self):
        if self._try(self.wanted):
            return
        self.holder_seen = self.client.show(self.wanted)["acquired"]
        if self.holder_seen and self._stale(self.holder_seen):
            self.client.run("release-from", self.holder_seen, place=self.wanted, check=False)
            if self._try(self.wanted):
                return
        if self.wait <= 0:
            raise MpkError("place %s is busy (acquired by %s)" % (self.wanted, self.holder_seen or "a reservation"))
        self._queue({"name": self.wanted})

    def _stale(self, holder):
        """Held by an mpk job of this host that is no longer running."""
        host, _, user = holder.partition("/")
        m = re.fullmatch(r".*\.mpk(\d+)", user)
        return host == self.client.env["LG_HOSTNAME"] and m is not None and not _pid_alive(int(m.group(1)))

    def _queue(self, filters):
        """Wait in labgrid's queue (a reservation) for a place with these tags, then take it.
        One `reserve --wait` call waits; whether any place has the tags is asked meanwhile
        (labgrid would queue for ever for a place that does not exist)."""
        want = " ".join("%s=%s" % kv for kv in sorted(filters.items()))
        check = None if self.wanted else self.client.start("-v", "places")
        reserve = self.client.start("reserve", "--shell", "--wait", *["%s=%s" % kv for kv in filters.items()])
        token = None
        try:
            ready, _, _ = select.select([reserve.stdout], [], [], CALL_TIMEOUT_S)
            m = re.search(r"LG_TOKEN=(\S+)", reserve.stdout.readline() if ready else "")
            if not m:
                if not ready:
                    raise LabgridError("labgrid-client reserve: no answer within %g s from the coordinator at %s"
                                       % (CALL_TIMEOUT_S, self.client.coordinator))
                reserve.wait(CALL_TIMEOUT_S)
                raise LabgridError(error_line(reserve.stderr.read(), reserve.returncode, self.client.coordinator))
            token = m.group(1)
            self.guard.add("cancel-reservation", token)
            if check is not None:
                out, err = check.communicate(timeout=CALL_TIMEOUT_S)
                if check.returncode:
                    raise LabgridError(error_line(err or out, check.returncode, self.client.coordinator))
                if not any(_matches(info, filters) for info in parse_places(out).values()):
                    raise MpkError("no place has the tags %s (`mpk rig places` lists the places)" % want)
            try:
                reserve.wait(max(self.deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                raise MpkError(self._busy(filters)) from None
            if reserve.returncode:
                raise LabgridError(error_line(reserve.stderr.read(), reserve.returncode, self.client.coordinator))
            if not self._try("+" + token):      # `-p +TOKEN`: the place allocated to the reservation
                raise MpkError("the reservation for %s ended without a place" % want)
        finally:
            for p in (reserve, check):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
            if token:
                # an allocated reservation would block the place for a minute after the release;
                # cancelled beside what follows (the place is ours, acquired, meanwhile)
                self._cancel = (self.client.start("cancel-reservation", token), token)

    def _busy(self, filters):
        if self.wanted:
            return "place %s is busy (acquired by %s) and was not free within %g s" % (
                self.wanted, self.holder_seen or "a reservation", self.wait)
        return "no place with %s was free within %g s" % (
            " ".join("%s=%s" % kv for kv in sorted(filters.items())), self.wait)

    def _learn(self, deadline):
        """Its serial port (once the exporter has published it), exporter, tags, power."""
        while True:
            info = self.client.show(self.place)
            serial = _serial(info)
            if serial and serial.get("params", {}).get("port"):
                break
            if time.monotonic() > deadline:
                raise MpkError("place %s has no serial port (NetworkSerialPort) %s"
                               % (self.place, "with a port yet" if serial else "among its resources"))
            time.sleep(0.2)
        prm = serial["params"]
        self.url = "rfc2217://%s:%s?ign_set_control" % (prm["host"], prm["port"])
        self.host = prm["host"]
        self.exporter = serial["path"].split("/")[0]
        self.tags = info["tags"]
        self.power = any("Power" in r.get("cls", "") or r.get("cls") == "PDUDaemonPort"
                         for r in info["resources"].values())

    def current_url(self):
        """The serial port's URL now (a restarted exporter serves it on a new port), or None."""
        try:
            serial = _serial(self.client.show(self.place))
        except MpkError:
            return None
        prm = (serial or {}).get("params", {})
        if prm.get("port"):
            self.url = "rfc2217://%s:%s?ign_set_control" % (prm["host"], prm["port"])
            return self.url
        return None

    # --- using ---------------------------------------------------------------------------
    def power_cycle(self, off_s=0.5):
        """Switch the board off and on through the place's power resource."""
        if not self.power:
            raise MpkError("place %s has no power resource" % self.place)
        self.client.run("power", "cycle", "-t", "%g" % off_s, place=self.place)

    def describe(self):
        return "place %s on exporter %s (%s)" % (self.place, self.exporter, self.host)

    # --- releasing -----------------------------------------------------------------------
    def release(self):
        """Give the place back (a lease handed down is left to its owner)."""
        guard, self.guard = self.guard, None
        if guard is None:
            return
        try:
            if self.acquired:
                self.acquired = False
                self.client.run("release-from", self.holder, place=self.place, check=False)
                guard.remove(*self._release)
        finally:
            guard.close()

    # --- handing down ----------------------------------------------------------------------
    def to_dict(self):
        return {"spec": self.spec, "place": self.place, "url": self.url, "exporter": self.exporter,
                "host": self.host, "tags": self.tags, "power": self.power,
                "coordinator": self.client.coordinator, "lg_hostname": self.client.env["LG_HOSTNAME"],
                "lg_username": self.client.env["LG_USERNAME"]}

    @classmethod
    def from_dict(cls, d):
        lease = cls(d["spec"], Client(coordinator=d["coordinator"], host=d["lg_hostname"], user=d["lg_username"]))
        lease.place, lease.url, lease.exporter, lease.host = d["place"], d["url"], d["exporter"], d["host"]
        lease.tags, lease.power = dict(d["tags"]), d["power"]
        return lease


def _matches(info, filters):
    tags = dict(info["tags"], name=info["name"])
    return all(tags.get(k) == v for k, v in filters.items())


def _serial(info):
    for r in info["resources"].values():
        if r.get("cls") == "NetworkSerialPort":
            return r
    return None


def _place_error(place, p, client):
    text = error_line(p.stderr or p.stdout, p.returncode, client.coordinator)
    if "does not exist" in text or "matches nothing" in text:
        return "no place %s on the coordinator %s (`mpk rig places` lists them)" % (place, client.coordinator)
    return "place %s: %s" % (place, text)


# --- for a command ---------------------------------------------------------------------------
class Held:
    """The leases of one command, acquired together (in parallel: each labgrid-client call
    takes half a second) and released together."""

    def __init__(self, specs, wait=DEFAULT_WAIT_S):
        self.specs, self.wait = list(specs), wait
        self.leases = []

    def __enter__(self):
        if not self.specs:
            return self.leases
        handed = handed_down()
        todo = []
        for spec in self.specs:
            lease = _take(handed, spec)
            if lease is not None:
                self.leases.append(lease)
            else:
                todo.append(spec)
        if todo:
            self._acquire(todo)
        return self.leases

    def _acquire(self, specs):
        fresh = [Lease(s) for s in specs]
        self.leases += fresh
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(fresh))) as pool:
                futures = [pool.submit(lease.acquire, self.wait) for lease in fresh]
                for f in futures:
                    f.result()      # the first error, once every acquire has ended (the pool's exit)
        except BaseException:
            self.__exit__(None, None, None)     # __enter__ failed: `with` will not call it
            raise

    def __exit__(self, *exc):
        for lease in reversed(self.leases):
            try:
                lease.release()
            except Exception:
                pass
        self.leases = []


def held(specs, wait=DEFAULT_WAIT_S):
    """`with held(["labgrid:pico1"]) as leases:` the places acquired (or handed down)."""
    return Held(specs, wait)


def hand_down(leases, env):
    """env for a child process that uses these leases (it will not release them)."""
    env = dict(env)
    env[ENV] = json.dumps([lease.to_dict() for lease in leases])
    return env


def handed_down():
    try:
        return [Lease.from_dict(d) for d in json.loads(os.environ.get(ENV) or "[]")]
    except (ValueError, KeyError, TypeError):
        return []


def _take(handed, spec):
    for i, lease in enumerate(handed):
        if lease.spec == spec:
            return handed.pop(i)
    return None


# --- for the command line (host_tools/cli.py) ------------------------------------------------
def specs_of(values):
    """The labgrid specs among board values (`--board` lists, comma-separated, LABEL=...)."""
    out = []
    for value in values or ():
        for part in [p.strip() for p in value.split(",") if p.strip()]:
            found = split_label(part)
            if found:
                out.append(found[1])
    return out


def for_command(args):
    """The leases a parsed command line needs, as one context manager: --port (or $MPK_PORT,
    or deploy's --board) naming a labgrid place becomes its rfc2217:// URL for the command's
    duration; `mpk hil --board labgrid:...` boards are held and handed to its pytest run."""
    wait = getattr(args, "lab_wait", None)
    wait = DEFAULT_WAIT_S if wait is None else wait
    if hasattr(args, "port"):
        spec = args.port
        if spec is None and is_spec(getattr(args, "board", None)):
            spec, args.board = args.board, None         # mpk deploy --board labgrid:PLACE
        if spec is None and is_spec(os.environ.get("MPK_PORT")):
            spec = os.environ["MPK_PORT"]
        if is_spec(spec):
            return _PortLease(args, spec, wait)
    boards = getattr(args, "board", None)
    if isinstance(boards, list) and specs_of(boards):
        return _ChildLeases(specs_of(boards), wait)
    return None


class _PortLease(Held):
    def __init__(self, args, spec, wait):
        super().__init__([spec], wait)
        self.args = args

    def __enter__(self):
        leases = super().__enter__()
        self.args.port = leases[0].url
        print("mpk: %s -> %s" % (leases[0].spec, leases[0].describe()), file=sys.stderr, flush=True)
        return leases


class _ChildLeases(Held):
    def __enter__(self):
        leases = super().__enter__()
        os.environ[ENV] = hand_down(leases, {})[ENV]    # for the pytest run the command starts
        return leases

    def __exit__(self, *exc):
        os.environ.pop(ENV, None)
        super().__exit__(*exc)


def die_with_parent():
    """preexec_fn for a child that must not outlive the command holding its places (Linux):
    killed with SIGTERM when the parent dies, even by SIGKILL."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_child(argv, **kw):
    """subprocess.run for a command's child (pytest under mpk hil) that dies with it."""
    if sys.platform.startswith("linux"):
        kw.setdefault("preexec_fn", die_with_parent)
    return subprocess.run(argv, **kw)
