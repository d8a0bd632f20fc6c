# supervisor: starts the tasks of the system image, watches them, and restarts those that
# end, per their policy (MINIX 3's reincarnation server, Erlang's supervisors, Hubris's
# jefe):
#   permanent  always restarted;  transient  restarted unless it ended normally;
#   temporary  never restarted.
# Restarts back off exponentially (the first one is immediate). A task restarted more than
# `intensity` times in `period_ms` escalates: its whole group is restarted; past
# `group_intensity` group restarts in the period (or at once for a critical task) the
# board is reset through the reset hook. Every restart is recorded with its reason and
# the kernel's fault record. A held task is not restarted (for debugging).
#
# The supervisor never sends to its clients and never blocks on them: it only replies.
#
# A task spec (one entry of the image's "tasks"):
#   {"name": "gpio", "module": "servers.gpio", "entry": "main", "args": (),
#    "prio": 4, "mailbox": 8, "caps": None, "quota": None,
#    "restart": "permanent", "group": "drivers", "critical": False,
#    "intensity": ..., "period_ms": ..., "backoff_ms": ...}   (the last three optional)
# "fn": a generator function may stand in for module/entry (tests, benchmarks).
import sys
import kernel
from kernel import port, KERNEL
from servers.base import dispatch, Client, ServerError, NOENT, BADREQ

PERMANENT = "permanent"
TRANSIENT = "transient"
TEMPORARY = "temporary"
POLICIES = (PERMANENT, TRANSIENT, TEMPORARY)

DEFAULTS = {
    "intensity": 5,          # restarts of one task allowed per period ...
    "period_ms": 10000,      # ... before its group is restarted
    "backoff_ms": 20,        # delay before the 2nd restart in a period; doubles each time
    "backoff_max_ms": 2000,
    "group_intensity": 2,    # group restarts per period before the board is reset
}
HISTORY = 32

PROTOCOL = {
    "status": ((), "list of dicts: name, tid, state, restarts, policy, held, group, critical", ()),
    "history": ((("n", int, HISTORY),), "the last n restart records (dicts), oldest first", ()),
    "restarts": ((), "list of (name, restarts) of every child: what ps shows, cheaply", ()),
    "restart": ((("name", str),), "the new tid", (NOENT,)),
    "hold": ((("name", str),), "True: the task is not restarted when it ends", (NOENT,)),
    "release": ((("name", str),), "True: restarted now if it is not running", (NOENT,)),
}

# Child states
RUNNING = "running"
BACKOFF = "backoff"      # waiting for its restart
HELD = "held"
STOPPED = "stopped"      # ended, and its policy says it stays ended
FAILED = "failed"        # could not be started, or escalation gave up on it


def spec_defaults(spec, limits=None):
    # A complete task spec from a partial one.
    s = {"module": None, "entry": "main", "args": (), "prio": 4,
         "mailbox": (limits or {}).get("mailbox", 8), "caps": None, "quota": None,
         "restart": PERMANENT, "group": "default", "critical": False}
    s.update(spec)
    if "name" not in s:
        raise ValueError("a task spec needs a name")
    if s["module"] is None and "fn" not in s:
        s["module"] = "servers." + s["name"]
    if s["restart"] not in POLICIES:
        raise ValueError("%s: restart must be one of %s" % (s["name"], ", ".join(POLICIES)))
    return s


def entry_of(spec):
    # The generator function a spec names.
    fn = spec.get("fn")
    if fn is not None:
        return fn
    mod = spec["module"]
    __import__(mod)
    return getattr(sys.modules[mod], spec["entry"])


class Child:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.tid = None
        self.state = STOPPED
        self.held = False
        self.restarts = 0
        self.times = []          # ticks_ms of recent restarts (within the period)
        self.due = None          # ticks_ms of the pending restart

    def opt(self, key, config):
        return self.spec.get(key, config[key])


class Supervisor:
    # The policy, free of system calls so it can be tested with a fake kernel and clock:
    #   spawn(spec) -> tid,  kill(tid),  reset(why),  faults() -> kernel fault records,
    #   now() -> ticks_ms
    def __init__(self, specs, config=None, spawn=None, kill=None, reset=None,
                 faults=None, now=None, limits=None):
        self.config = dict(DEFAULTS)
        if config:
            self.config.update(config)
        self.children = [Child(spec_defaults(s, limits)) for s in specs]
        self.by_name = {}
        for c in self.children:
            if c.name in self.by_name:
                raise ValueError("two tasks named %r in the image" % c.name)
            self.by_name[c.name] = c
        self.by_tid = {}
        self.group_times = {}
        self.history = []
        self.resets = 0
        self.to_monitor = []
        self._spawn = spawn
        self._kill = kill
        self._reset = reset
        self._faults = faults
        self.now = now or port.ticks_ms

    # --- starting ---------------------------------------------------------------------

    def start_all(self):
        for c in self.children:
            if not c.held:
                self._start(c)

    def _start(self, c):
        c.due = None
        try:
            tid = self._spawn(c.spec)
        except Exception as e:       # import error, bad arguments, out of memory
            c.state = FAILED
            self._record(c, None, "start:%s: %s" % (type(e).__name__, e), "failed", 0, None)
            if c.spec["critical"]:
                self._board_reset(c, "critical task %s cannot start" % c.name)
            return None
        c.tid = tid
        c.state = RUNNING
        self.by_tid[tid] = c
        self.to_monitor.append(tid)
        return tid

    def _stop(self, c):
        # End a running child on purpose; its down message is then ignored.
        if c.tid is not None:
            self.by_tid.pop(c.tid, None)
            try:
                self._kill(c.tid)
            except kernel.Dead:
                pass
            c.tid = None

    # --- a child ended ------------------------------------------------------------------

    def on_down(self, tid, reason):
        c = self.by_tid.pop(tid, None)
        if c is None:
            return None                # one we killed ourselves, or not ours
        now = self.now()
        c.tid = None
        fault = self._fault_of(tid) if reason != "normal" else None
        policy = c.spec["restart"]
        abnormal = reason != "normal"
        if policy == TEMPORARY or (policy == TRANSIENT and not abnormal):
            c.state = STOPPED
            self._record(c, tid, reason, "none", 0, fault)
            if c.spec["critical"] and abnormal:
                self._board_reset(c, "critical task %s ended: %s" % (c.name, reason))
            return c
        if c.held:
            c.state = HELD
            self._record(c, tid, reason, "held", 0, fault)
            return c
        period = c.opt("period_ms", self.config)
        c.times = [t for t in c.times if port.ticks_diff(now, t) < period]
        c.times.append(now)
        if len(c.times) > c.opt("intensity", self.config):
            self._escalate(c, tid, reason, fault, now)
            return c
        n = len(c.times)
        delay = 0 if n == 1 else min(c.opt("backoff_ms", self.config) << (n - 2),
                                     self.config["backoff_max_ms"])
        c.state = BACKOFF
        c.due = port.ticks_add(now, delay)
        self._record(c, tid, reason, "restart", delay, fault)
        return c

    def _escalate(self, c, tid, reason, fault, now):
        if c.spec["critical"]:
            self._record(c, tid, reason, "reset", 0, fault)
            self._board_reset(c, "critical task %s restarted too often" % c.name)
            return
        g = c.spec["group"]
        period = c.opt("period_ms", self.config)
        times = [t for t in self.group_times.get(g, ()) if port.ticks_diff(now, t) < period]
        times.append(now)
        self.group_times[g] = times
        if len(times) > self.config["group_intensity"]:
            self._record(c, tid, reason, "reset", 0, fault)
            self._board_reset(c, "group %s restarted too often (task %s)" % (g, c.name))
            return
        self._record(c, tid, reason, "group", 0, fault)
        members = [m for m in self.children if m.spec["group"] == g]
        for m in reversed(members):
            self._stop(m)
        for m in members:
            m.times = []
            if m.held:
                m.state = HELD
            else:
                m.restarts += 1
                self._start(m)

    def _board_reset(self, c, why):
        self.resets += 1
        # Past this point nothing of the failing task is restarted: on a real board the
        # hook never returns; a test's hook does, and must not see a restart loop.
        c.state = FAILED
        c.due = None
        self._reset(why)

    def _fault_of(self, tid):
        if self._faults is None:
            return None
        for f in reversed(self._faults()):
            if f.get("tid") == tid:
                return f
        return None

    def _record(self, c, tid, reason, action, delay, fault):
        self.history.append({"t_ms": self.now(), "name": c.name, "tid": tid, "reason": reason,
                             "action": action, "delay_ms": delay, "fault": fault})
        if len(self.history) > HISTORY:
            self.history.pop(0)

    # --- timers -----------------------------------------------------------------------------

    def next_due(self):
        # ms until the next pending restart (0: now), or None.
        now = self.now()
        best = None
        for c in self.children:
            if c.due is not None:
                d = max(0, port.ticks_diff(c.due, now))
                if best is None or d < best:
                    best = d
        return best

    def run_due(self):
        now = self.now()
        for c in self.children:
            if c.due is not None and port.ticks_diff(c.due, now) <= 0:
                c.restarts += 1
                self._start(c)

    # --- requests -------------------------------------------------------------------------------

    def _child(self, name):
        c = self.by_name.get(name)
        if c is None:
            raise ServerError(NOENT, "no task %r in the image" % name)
        return c

    def op_status(self, sender):
        return [{"name": c.name, "tid": c.tid, "state": c.state, "restarts": c.restarts,
                 "policy": c.spec["restart"], "held": c.held, "group": c.spec["group"],
                 "critical": c.spec["critical"]} for c in self.children]

    def op_restarts(self, sender):
        return [(c.name, c.restarts) for c in self.children]

    def op_history(self, sender, n):
        if n < 0:
            raise ServerError(BADREQ, "n must be >= 0")
        return self.history[-n:] if n else []

    def op_restart(self, sender, name):
        c = self._child(name)
        self._stop(c)
        self._record(c, None, "manual", "restart", 0, None)
        c.restarts += 1
        return self._start(c)

    def op_hold(self, sender, name):
        c = self._child(name)
        c.held = True
        if c.tid is None:
            c.due = None
            c.state = HELD
        return True

    def op_release(self, sender, name):
        c = self._child(name)
        c.held = False
        if c.tid is None and c.due is None:
            c.times = []
            c.restarts += 1
            self._start(c)
        return True


last = None


def _kernel_spawn(k):
    def spawn(spec):
        return k.spawn(entry_of(spec), *spec["args"], name=spec["name"], prio=spec["prio"],
                       mailbox=spec["mailbox"], caps=spec["caps"], quota=spec["quota"])
    return spawn


def _no_reset(why):
    print("supervisor: board reset wanted (%s), but no reset hook" % why)


def main(image, reset=None, name="supervisor", limits=None):
    # image: {"tasks": [spec, ...], "supervisor": {config}}; reset: hook called with a
    # reason when escalation reaches the board (default: boards.hw.reset).
    k = kernel.running_kernel()
    if reset is None:
        try:
            from boards import hw

            def reset(why):
                print("supervisor: resetting the board:", why)
                hw.reset()
        except ImportError:
            reset = _no_reset
    sup = Supervisor(image.get("tasks", ()), image.get("supervisor"), spawn=_kernel_spawn(k),
                     kill=k.kill, reset=reset, faults=k.faults, limits=limits)
    global last
    last = sup                   # for the REPL and tests: the running supervisor's state
    if name is not None:
        yield kernel.register(name)
    sup.start_all()
    while True:
        while sup.to_monitor:
            yield kernel.monitor(sup.to_monitor.pop(0))
        try:
            sender, msg = yield kernel.recv(sup.next_due())
        except kernel.Timeout:
            sup.run_due()
            continue
        if sender == KERNEL:
            if type(msg) is tuple and len(msg) == 3 and msg[0] == "down":
                sup.on_down(msg[1], msg[2])
        else:
            r = dispatch(PROTOCOL, sup, sender, msg)
            yield kernel.reply(sender, r)
        if sup.next_due() == 0:
            sup.run_due()


def client(name="supervisor", timeout=None):
    return Client(PROTOCOL, name, timeout)
