# supervisor: starts the tasks of the system image, watches them, and restarts those that
# end, per their policy (MINIX 3's reincarnation server, Erlang's supervisors, Hubris's
# jefe):
#   permanent  always restarted;  transient  restarted unless it ended normally;
#   temporary  never restarted.
# Restarts back off exponentially (the first one is immediate). A task restarted more than
# `intensity` times in `period_ms` escalates: its whole group is restarted; past
# `group_intensity` group restarts in the period (or at once for a critical task) the
# board is reset through the reset hook. Every restart is recorded with its reason and
# the kernel's fault record. A held task is not restarted (for debugging). A task with a
# quota (bytes it may allocate per second) that allocates more in a second is ended and
# handled like a fault (reason "quota"): the kernel counts, the supervisor decides. A task
# that cannot start (an import error, a transient MemoryError) is retried like one that
# ended, with the same backoff and intensity limit.
#
# Liveness (MINIX 3's reincarnation server pings its drivers): a task whose spec has
# "heartbeat_ms" is pinged that often by the pinger, a helper task of the supervisor's
# that calls ("ping",) with a timeout (every server answers it, servers/lib/base.py). One that
# does not answer in "heartbeat_timeout_ms" (a server looping while yielding, one that
# stopped receiving or sleeps forever, one that hangs before it registers: it is pinged
# by tid) is killed and handled like a fault, reason "hang". A ping is a notification bit
# (PING_BIT), which the kernel clears when the task next receives: it never blocks the
# pinger, never fills a mailbox and lends no priority (a call would lend the pinger's
# priority to a server spinning in a handler, and starve everyone else), and every due
# task is pinged at once. The pinger runs at the supervisor's priority, so a server
# spinning at its clients' priority is still caught.
#
# Live update (MINIX 3's): ("update", modules, tree) replaces the children whose code is
# one of `modules` by new incarnations loaded from `tree` (a freshly deployed one, which
# becomes the tree on sys.path); every other child keeps running, state and all. Each old
# incarnation is asked for its state first (("handoff",), servers/lib/base.py), which the
# new one gets as main(..., handoff=state). The update is answered at once; a new
# incarnation that ends abnormally within the grace period brings the old code back (the
# old tree on sys.path again, the old tree marked active), and ("updated",) says how it
# ended once the grace period is over, with the fault if it was rolled back. (Answered at
# once, not after the grace: the caller, the console, is pinged like any server.)
#
# The supervisor never sends to its clients and never blocks on them: it only replies
# (the handoff, asked with a short timeout during an update, is the one call it makes). It
# is privileged (it spawns, kills and reads other tasks' records, all through system
# calls), and gives that right only to the children whose spec says "privileged".
#
# A task spec is one entry of the system image's "tasks" (firmware/system.py); SPEC below
# is every key one may have, with its default: the one table of defaults.
# "fn" (a generator function) with "args" may stand in for module/entry (tests, benchmarks).
import sys
import kernel
from kernel import port
from servers.lib.base import serve, configure, ServerError, NOENT, BADREQ, BUSY, DENIED, PING_BIT
from servers.lib import postmortem
from servers.api.supervisor import PROTOCOL, HISTORY

PERMANENT = "permanent"
TRANSIENT = "transient"
TEMPORARY = "temporary"
POLICIES = (PERMANENT, TRANSIENT, TEMPORARY)

# The supervisor's own config (its entry in the image): the restart policy, and what the
# firmware hands it at boot (the tasks, the board's limits, the reset hook).
DEFAULTS = {
    "intensity": 5,          # restarts of one task allowed per period ...
    "period_ms": 10000,      # ... before its group is restarted
    "backoff_ms": 20,        # delay before the 2nd restart in a period; doubles each time
    "backoff_max_ms": 2000,
    "group_intensity": 2,    # group restarts per period before the board is reset
    "heartbeat_timeout_ms": 2000,   # a pinged task answers within this, or it has hung
}
CONFIG = dict(DEFAULTS, postmortem=False,   # keep /mpk/postmortem (the firmware does)
              tasks=(), limits=None, reset=None)   # given by the firmware at boot

# Every key of a task spec, with its default (None: see the comment).
SPEC = {
    "name": None,            # registered name and task name (required)
    "module": None,          # where its entry is (None: servers.<name>)
    "entry": "main",         # the function, called as entry(name, **config)
    "config": None,          # keyword settings for the entry (the server's CONFIG keys)
    "prio": 4,               # 0..7, higher runs first
    "mailbox": None,         # messages its mailbox holds (None: the board's default)
    "talks_to": None,        # names it may send to (None: anyone)
    "privileged": False,     # may kill, spawn, read other tasks, stop the kernel
    "owns": None,            # hardware only it may claim: "i2c:0", "pin:GP2", "wdt" ...
                             # (None: not bound; firmware/image.py gives image tasks a tuple)
    "irqs": (),              # interrupt sources routed to it: "pin", "timer"
    "quota": None,           # bytes it may allocate per second (None: no limit)
    "restart": "permanent",  # permanent | transient | temporary
    "group": "default",      # restarted together when one restarts too often
    "critical": False,       # past its limit (or any abnormal end if temporary): reset
    "heartbeat_ms": None,    # pinged this often; one that does not answer has hung
    "heartbeat_timeout_ms": None,   # these four: the supervisor's config when None
    "intensity": None,
    "period_ms": None,
    "backoff_ms": None,
    "boards": None,          # only on these boards (names)
    "needs": None,           # only on boards with this feature ("wifi")
    "fn": None,              # tests: a generator function instead of module/entry ...
    "args": (),              # ... and its positional arguments
}
QUOTA_WINDOW_MS = 1000       # quotas are bytes per this window


# Start failures that a retry cannot mend (the module or its entry is missing).
_NEVER_STARTS = (ImportError, AttributeError, SyntaxError)


def _text(e):
    try:
        return str(e)[:80]
    except Exception:
        return ""


# Child states
RUNNING = "running"
BACKOFF = "backoff"      # waiting for its restart
HELD = "held"
STOPPED = "stopped"      # ended, and its policy says it stays ended
FAILED = "failed"        # could not be started, or escalation gave up on it


def spec_defaults(spec, limits=None):
    # A task spec ready for the supervisor: checked, with its name, module and mailbox,
    # and only the keys that differ from SPEC (read them with opt(spec, key)): fourteen
    # full specs would cost a Pico kilobytes.
    for k in spec:
        if k not in SPEC:
            raise ValueError("%s: unknown key %r in its spec" % (spec.get("name"), k))
    s = {}
    for k in spec:
        if spec[k] != SPEC[k]:
            s[k] = spec[k]
    if s.get("name") is None:
        raise ValueError("a task spec needs a name")
    if s.get("mailbox") is None:
        s["mailbox"] = (limits or {}).get("mailbox", 8)
    if s.get("module") is None and s.get("fn") is None:
        s["module"] = "servers.%s" % (s["name"],)
    if opt(s, "restart") not in POLICIES:
        raise ValueError("%s: restart must be one of %s" % (s["name"], ", ".join(POLICIES)))
    return s


def opt(spec, key):
    # A spec's value for key, SPEC's default when it has none.
    return spec.get(key, SPEC[key])


def entry_of(spec):
    # The generator function a spec names.
    if opt(spec, "fn") is not None:
        return opt(spec, "fn")
    mod = spec["module"]
    __import__(mod)
    return getattr(sys.modules[mod], opt(spec, "entry"))


def _call_entry(entry, name, config):
    # What a child runs: entry(name, **config), the one shape of every server's main.
    return entry(name, **config)


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
        self.heap = None         # bytes it had allocated at the last quota check
        self.ping_due = None     # ticks_ms of its next ping (heartbeat tasks, while running)

    def opt(self, key, config):
        v = opt(self.spec, key)
        return config[key] if v is None else v


class Supervisor:
    # The policy. What it asks of the kernel comes in as generator functions, so the
    # supervisor task runs them as system calls and a test runs fakes:
    #   spawn(spec) -> tid,  kill(tid),  heap_of(tid) -> bytes allocated so far or None;
    # handoff(tid) -> the state a task hands over;
    # and plain functions reset(why), now() -> ticks_ms. The methods that start or stop
    # tasks are generators too (`yield from sup.on_down(...)`).
    oom_retry_ms = 10        # serve(): nothing restarts the supervisor, it outlives an OOM

    def __init__(self, specs, config=None, spawn=None, kill=None, reset=None,
                 now=None, limits=None, heap_of=None, note=None, fault_of=None, handoff=None):
        self.config = dict(DEFAULTS)
        if config:
            self.config.update(config)
        self.children = []
        self.by_name = {}
        for s in specs:
            self.add(s, limits)
        self.by_tid = {}
        self.group_times = {}
        self.history = []
        self.resets = 0
        self._spawn = spawn
        self._kill = kill
        self._reset = reset
        self._heap_of = heap_of
        self._fault_of = fault_of
        self._note = note        # note(record): every abnormal end, for the post-mortem
        self.now = now or port.ticks_ms
        self.quota_due = None if all(opt(c.spec, "quota") is None for c in self.children) \
            else port.ticks_add(self.now(), QUOTA_WINDOW_MS)
        self.update = None       # the live update in its grace period (live_update.Update)
        self.updated = None      # how the last one ended (op_updated)
        self._handoff = handoff or _handoff      # handoff(tid) -> the state it hands over

    def add(self, spec, limits=None):
        # One more child (before start_all).
        c = Child(spec_defaults(spec, limits))
        if c.name in self.by_name:
            raise ValueError("two tasks named %r in the image" % c.name)
        self.children.append(c)
        self.by_name[c.name] = c

    # --- starting ---------------------------------------------------------------------

    def start_all(self):
        for c in self.children:
            if not c.held:
                yield from self._start(c)

    def _start(self, c, handoff=None):
        c.due = None
        c.heap = None
        spec = c.spec
        if handoff is not None:          # the old incarnation's state, for main(handoff=)
            spec = dict(spec, config=dict(opt(spec, "config") or {}, handoff=handoff))
        try:
            tid = yield from self._spawn(spec)
        except Exception as e:       # import error, bad arguments, out of memory, Denied
            try:
                why = "start:%s: %s" % (type(e).__name__, _text(e))
            except MemoryError:
                why = "start:MemoryError"
            if isinstance(e, _NEVER_STARTS):
                # No retry can mend a missing module or entry: failed at once.
                c.state = FAILED
                self._record(c, None, why, "failed", 0, None)
                if opt(c.spec, "critical"):
                    self._board_reset(c, "critical task %s cannot start" % c.name)
                return None
            # Anything else may pass (a transient MemoryError): retried like a task that
            # ended, with the backoff and the intensity limit.
            yield from self._ended_safe(c, None, why, None)
            if c.state == STOPPED:
                c.state = FAILED
            return c.tid
        c.tid = tid
        c.state = RUNNING
        self.by_tid[tid] = c
        hb = opt(c.spec, "heartbeat_ms")
        c.ping_due = None if hb is None else port.ticks_add(self.now(), hb)
        return tid

    def _stop(self, c):
        # End a running child on purpose; its down message is then ignored.
        if c.tid is not None:
            self.by_tid.pop(c.tid, None)
            try:
                yield from self._kill(c.tid)
            except kernel.Dead:
                pass
            c.tid = None

    # --- a child ended ------------------------------------------------------------------

    def on_down(self, tid, reason, fault=None):
        # Generator; returns the child that ended (None if not ours). fault: the
        # kernel's record of the fault that ended it, if any.
        c = self.by_tid.pop(tid, None)
        if c is None:
            return None                # one we killed ourselves, or not ours
        c.tid = None
        c.ping_due = None
        u = self.update
        if u is not None and reason != "normal" and any(r[0] is c for r in u.replaced):
            yield from self._roll_back(u, c, tid, reason, fault)
            return c
        yield from self._ended_safe(c, tid, reason, fault)
        return c

    def _ended_safe(self, c, tid, reason, fault):
        try:
            yield from self._ended(c, tid, reason, fault)
        except MemoryError:
            # No room to decide or record: restart it soon all the same (allocates
            # nothing), so no child is forgotten.
            if c.state not in (STOPPED, FAILED, HELD):
                c.state = BACKOFF
                c.due = port.ticks_add(self.now(), self.config["backoff_ms"])

    def _ended(self, c, tid, reason, fault):
        # A child ended (tid) or could not start (tid None): restart it per its policy,
        # with backoff, escalating past its intensity.
        now = self.now()
        policy = opt(c.spec, "restart")
        abnormal = reason != "normal"
        if policy == TEMPORARY or (policy == TRANSIENT and not abnormal):
            c.state = STOPPED
            self._record(c, tid, reason, "none", 0, fault)
            if opt(c.spec, "critical") and abnormal:
                self._board_reset(c, "critical task %s ended: %s" % (c.name, reason))
            return
        if c.held:
            c.state = HELD
            self._record(c, tid, reason, "held", 0, fault)
            return
        period = c.opt("period_ms", self.config)
        c.times = [t for t in c.times if port.ticks_diff(now, t) < period]
        c.times.append(now)
        if len(c.times) > c.opt("intensity", self.config):
            yield from self._escalate(c, tid, reason, fault, now)
            return
        n = len(c.times)
        delay = 0 if n == 1 else min(c.opt("backoff_ms", self.config) << (n - 2),
                                     self.config["backoff_max_ms"])
        c.state = BACKOFF
        c.due = port.ticks_add(now, delay)
        self._record(c, tid, reason, "restart", delay, fault)

    def _escalate(self, c, tid, reason, fault, now):
        if opt(c.spec, "critical"):
            self._record(c, tid, reason, "reset", 0, fault)
            self._board_reset(c, "critical task %s restarted too often" % c.name)
            return
        g = opt(c.spec, "group")
        period = c.opt("period_ms", self.config)
        times = [t for t in self.group_times.get(g, ()) if port.ticks_diff(now, t) < period]
        times.append(now)
        self.group_times[g] = times
        if len(times) > self.config["group_intensity"]:
            self._record(c, tid, reason, "reset", 0, fault)
            self._board_reset(c, "group %s restarted too often (task %s)" % (g, c.name))
            return
        self._record(c, tid, reason, "group", 0, fault)
        members = [m for m in self.children if opt(m.spec, "group") == g]
        for m in reversed(members):
            yield from self._stop(m)
        for m in members:
            m.times = []
            if m.held:
                m.state = HELD
            else:
                m.restarts += 1
                yield from self._start(m)

    def _board_reset(self, c, why):
        self.resets += 1
        # Past this point nothing of the failing task is restarted: on a real board the
        # hook never returns; a test's hook does, and must not see a restart loop.
        c.state = FAILED
        c.due = None
        self._reset(why)

    def _record(self, c, tid, reason, action, delay, fault):
        rec = {"t_ms": self.now(), "name": c.name, "tid": tid, "reason": reason,
               "action": action, "delay_ms": delay, "fault": fault}
        self.history.append(rec)
        if self._note is not None and reason not in ("normal", "manual"):
            self._note(rec)
        if len(self.history) > HISTORY:
            self.history.pop(0)

    # --- timers -----------------------------------------------------------------------------

    # --- live update ------------------------------------------------------------------------

    def op_update(self, sender, modules, tree, grace_ms):
        from servers.lib import live_update      # only when asked: RAM a Pico keeps otherwise
        if self.update is not None:
            raise ServerError(BUSY, "a live update is in its grace period")
        mods = {}
        for c in self.children:
            m = opt(c.spec, "module")
            if m in modules:
                mods.setdefault(m, []).append(c)
        missing = [m for m in modules if m not in mods]
        if missing:
            raise ServerError(BADREQ, "not the code of a task in the image: %s" % ", ".join(missing))
        old = live_update.tree_on_path()
        if old is None or old == tree:
            raise ServerError(BADREQ, "no deployed tree on sys.path to update from (%s)" % old)
        u = live_update.Update(modules, old, tree, port.ticks_add(self.now(), grace_ms))
        self.update = u
        self.updated = None
        for m in modules:
            for c in mods[m]:
                u.replaced.append((c, c.tid))
                u.states[c.name] = yield from self._stop_handing_off(c)
        live_update.use_tree(old, tree)
        live_update.forget(modules)
        for c, _ in u.replaced:
            self._record(c, None, "update", "restart", 0, None)
            c.restarts += 1
            c.times = []
            yield from self._start(c, u.states[c.name])
            if c.tid is None:            # the new code does not even start
                yield from self._roll_back(u, c, None, "start", {"name": c.name, "type": "StartError",
                                                                 "text": self.history[-1]["reason"]})
                break
        return {"tasks": [(c.name, old, c.tid) for c, old in u.replaced], "grace_ms": grace_ms}

    def op_updated(self, sender):
        # How the last live update ended: None while in its grace period (or if none ran).
        return None if self.update is not None else self.updated

    def _stop_handing_off(self, c):
        # Ask the old incarnation for its state (it then ends), and make sure it has.
        state = None
        if c.tid is not None:
            self.by_tid.pop(c.tid, None)
            try:
                state = yield from self._handoff(c.tid)
            except (kernel.IPCError, kernel.Timeout):
                state = None
            if type(state) is not dict:
                state = None
            yield from self._stop(c)
        return state

    def _roll_back(self, u, failed, tid, reason, fault):
        # A new incarnation failed in its grace period: the old code comes back, for every
        # task the update replaced, with the state the old incarnations handed over.
        from servers.lib import live_update
        self.update = None
        self._record(failed, tid, "update:" + reason, "rollback", 0, fault)
        for c, _ in u.replaced:
            if c is not failed:
                yield from self._stop(c)
        live_update.use_tree(u.new, u.old)
        live_update.forget(u.modules)
        for c, _ in u.replaced:
            c.times = []
            yield from self._start(c, u.states.get(c.name))
        try:
            live_update.mark_active(u.old)
        except OSError:
            pass
        self.updated = {"rolled_back": True, "task": failed.name, "reason": reason, "fault": fault,
                        "tasks": [(c.name, old, c.tid) for c, old in u.replaced]}

    def _update_done(self, u):
        self.update = None
        self.updated = {"rolled_back": False, "tasks": [(c.name, old, c.tid) for c, old in u.replaced]}

    def next_due(self):
        # ms until the next pending restart, quota check or the end of a live update's
        # grace (0: now), or None.
        now = self.now()
        best = None if self.quota_due is None else max(0, port.ticks_diff(self.quota_due, now))
        if self.update is not None:
            d = max(0, port.ticks_diff(self.update.until, now))
            best = d if best is None else min(best, d)
        for c in self.children:
            if c.due is not None:
                d = max(0, port.ticks_diff(c.due, now))
                if best is None or d < best:
                    best = d
        return best

    def run_due(self):
        now = self.now()
        u = self.update
        if u is not None and port.ticks_diff(u.until, now) <= 0:
            self._update_done(u)
        for c in self.children:
            if c.due is not None and port.ticks_diff(c.due, now) <= 0:
                c.restarts += 1
                yield from self._start(c)
        if self.quota_due is not None and port.ticks_diff(self.quota_due, now) <= 0:
            self.quota_due = port.ticks_add(now, QUOTA_WINDOW_MS)
            yield from self.check_quotas()

    # --- the serving loop's hooks (base.serve) --------------------------------------------

    def due_ms(self):
        # ms until on_tick: the next restart or quota check, or the post-mortem's write.
        wait = self.next_due()
        w = postmortem.due_ms()
        return w if wait is None or (w is not None and w < wait) else wait

    def on_tick(self):
        postmortem.flush()
        yield from self.run_due()

    def on_kernel(self, msg):
        # A child's "down": its fault record (if there is room to read it), then policy.
        if type(msg) is tuple and len(msg) == 3 and msg[0] == "down":
            fault = None
            if msg[2] != "normal" and self._fault_of is not None:
                try:
                    fault = yield from self._fault_of(msg[1])
                except MemoryError:
                    pass
            yield from self.on_down(msg[1], msg[2], fault)

    def check_quotas(self):
        # Once a window: a child that allocated more than its quota since the last check
        # is ended, and handled as a fault would be.
        for c in self.children:
            q = opt(c.spec, "quota")
            if q is None or c.tid is None or self._heap_of is None:
                continue
            tid = c.tid
            heap = yield from self._heap_of(tid)
            if heap is None:
                continue
            used = heap - c.heap if c.heap is not None else 0
            c.heap = heap
            if used > q:
                yield from self._stop(c)
                fault = {"tid": tid, "name": c.name, "type": "QuotaExceeded",
                         "text": "allocated %d bytes in %d ms, quota %d" % (used, QUOTA_WINDOW_MS, q),
                         "traceback": "", "ticks_ms": self.now()}
                self.by_tid[tid] = c
                yield from self.on_down(tid, "quota", fault)

    # --- requests -------------------------------------------------------------------------------

    def _child(self, name):
        c = self.by_name.get(name)
        if c is None:
            raise ServerError(NOENT, "no task %r in the image" % name)
        return c

    def op_status(self, sender):
        return [{"name": c.name, "tid": c.tid, "state": c.state, "restarts": c.restarts,
                 "policy": opt(c.spec, "restart"), "held": c.held, "group": opt(c.spec, "group"),
                 "critical": opt(c.spec, "critical"), "quota": opt(c.spec, "quota")} for c in self.children]

    def op_restarts(self, sender):
        return [(c.name, c.restarts) for c in self.children]

    def op_history(self, sender, n):
        if n < 0:
            raise ServerError(BADREQ, "n must be >= 0")
        return self.history[-n:] if n else []

    def op_restart(self, sender, name):
        c = self._child(name)
        yield from self._stop(c)
        self._record(c, None, "manual", "restart", 0, None)
        c.restarts += 1
        return (yield from self._start(c))

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
            yield from self._start(c)
        return True

    # --- liveness: the pinger's requests ---------------------------------------------------

    def _is_pinger(self, sender):
        c = self.by_name.get(PINGER)
        if c is None or c.tid != sender:
            raise ServerError(DENIED, "only the supervisor's pinger")

    def op_pings(self, sender):
        self._is_pinger(sender)
        now = self.now()
        due, wait = [], 1000
        for c in self.children:
            if c.ping_due is None or c.tid is None:
                continue
            left = port.ticks_diff(c.ping_due, now)
            if left <= 0:
                due.append((c.name, c.tid, c.opt("heartbeat_timeout_ms", self.config)))
                c.ping_due = port.ticks_add(now, opt(c.spec, "heartbeat_ms"))
                left = opt(c.spec, "heartbeat_ms")
            wait = min(wait, left)
        return due, wait

    def op_hung(self, sender, name, tid, waited_ms):
        self._is_pinger(sender)
        c = self._child(name)
        if c.tid != tid:
            return False                 # it has ended or been restarted meanwhile
        yield from self._stop(c)
        fault = {"tid": tid, "name": name, "type": "Hang", "text": "did not take its ping "
                 "within %d ms" % waited_ms, "traceback": "", "ticks_ms": self.now()}
        self.by_tid[tid] = c
        yield from self.on_down(tid, "hang", fault)
        return True


PINGER = "pinger"
POLL_MS = 50                 # how often the pinger looks whether its pings were taken


def pinger(sup):
    # The supervisor's helper task: pings the tasks the supervisor says are due (by tid,
    # so one that never registered is pinged too), all at once, and reports those that
    # have not received their ping within their timeout. It asks the supervisor for work
    # with calls; the supervisor only ever replies.
    out = {}                     # tid -> (name, ticks_ms pinged, timeout): pings not taken
    while True:
        due, wait = yield kernel.call(sup, ("pings",))
        now = port.ticks_ms()
        for name, tid, timeout in due:
            if tid not in out:
                try:
                    yield kernel.notify(tid, PING_BIT)
                    out[tid] = (name, now, timeout)
                except (kernel.Dead, kernel.Denied):
                    pass                 # ended: the supervisor hears of it by itself
        for tid in list(out):
            name, t0, timeout = out[tid]
            try:
                notes = (yield kernel.info("task", tid))["notes"]
            except kernel.Dead:
                notes = 0
            if not notes & PING_BIT:
                del out[tid]             # received: it is serving
            elif port.ticks_diff(now, t0) >= timeout:
                del out[tid]
                yield kernel.call(sup, ("hung", name, tid, timeout))
        yield kernel.sleep(min(wait, POLL_MS) if out else max(10, wait))


def pinger_spec(sup_tid):
    # The pinger as a child of the supervisor: restarted like any other task. Privileged:
    # it reads other tasks' records (whether a ping is still pending).
    return {"name": PINGER, "fn": pinger, "args": (sup_tid,), "prio": 7, "mailbox": 2,
            "group": "supervisor", "privileged": True}


# The running supervisor, for the REPL helpers after Ctrl-C (firmware/repl.py shows its
# restart counts); no task reads it.
last = None


# What the supervisor asks of the kernel: system calls (it is privileged). A task with a
# quota is measured: its heap use is counted even on ports where that is costly.
def _spawn(spec):
    if opt(spec, "fn") is not None:
        fn, args = opt(spec, "fn"), opt(spec, "args")
    else:
        fn, args = _call_entry, (entry_of(spec), spec["name"], opt(spec, "config") or {})
    tid = yield kernel.spawn(fn, *args, name=spec["name"], prio=opt(spec, "prio"),
                             mailbox=spec["mailbox"], caps=opt(spec, "talks_to"),
                             privileged=opt(spec, "privileged"), measure=opt(spec, "quota") is not None,
                             owns=owned_keys(spec))
    # Watched before anything else runs (a child already gone gives "down" "noproc").
    # Out of memory here must not look like a failed start (a second copy would be
    # spawned): the monitor is asked again until it is taken.
    while True:
        try:
            yield kernel.monitor(tid)
            return tid
        except MemoryError:
            port.collect()
            yield kernel.sleep(Supervisor.oom_retry_ms)


def owned_keys(spec):
    # The kernel's view of what a task owns: its hardware and its interrupt sources.
    if opt(spec, "owns") is None and not opt(spec, "irqs"):
        return None
    return tuple(opt(spec, "owns") or ()) + tuple("irq:" + s for s in opt(spec, "irqs"))


def _kill(tid):
    yield kernel.kill(tid)


HANDOFF_TIMEOUT_MS = 500


def _handoff(tid):
    return (yield kernel.call(tid, ("handoff",), HANDOFF_TIMEOUT_MS))


def _heap_of(tid):
    try:
        rec = yield kernel.info("task", tid)
    except kernel.Dead:
        return None
    return rec["heap"]


def _fault_of(tid):
    # The kernel's record of the fault that ended tid (recorded before the down message).
    for f in reversed((yield kernel.info("faults", 8))):
        if f.get("tid") == tid:
            return f
    return None


def _no_reset(why):
    print("supervisor: board reset wanted (%s), but no reset hook" % why)


def _note_down(rec):
    # A child's abnormal end, for the post-mortem on flash (servers/lib/postmortem.py).
    f = rec["fault"] or {}
    kind = "hang" if rec["reason"] == "hang" else "fault"
    why = "%s: %s" % (f["type"], f.get("text", "")) if f.get("type") else rec["reason"]
    postmortem.note(kind, rec["name"], why, postmortem.tb_head(f.get("traceback")))


def _reset_cause():
    try:
        import hal

        return postmortem.cause_name(hal.machine_module(), hal.reset_cause())
    except Exception:
        return "unknown"


def main(name="supervisor", **config):
    # config: the restart policy (DEFAULTS), and from the firmware: tasks (the image's
    # specs), limits (the board's), reset (called with a reason when escalation reaches
    # the board; default hal.reset), postmortem (record this boot, abnormal ends and
    # resets on flash).
    c = configure(CONFIG, config, name)
    reset = c["reset"]
    if reset is None:
        try:
            import hal

            def reset(why):
                print("supervisor: resetting the board:", why)
                postmortem.record("reset", "supervisor", why)
                hal.reset()
        except ImportError:
            reset = _no_reset
    keep = c["postmortem"]
    if keep:
        postmortem.start(_reset_cause())
    policy = {k: c[k] for k in DEFAULTS}
    # (popped: the image's specs go once the supervisor has its own slim copies)
    sup = Supervisor(c.pop("tasks"), policy, spawn=_spawn, kill=_kill, reset=reset,
                     limits=c["limits"], heap_of=_heap_of, fault_of=_fault_of,
                     note=_note_down if keep else None)
    global last
    last = sup
    if name is not None:
        yield kernel.register(name)
    if any(opt(ch.spec, "heartbeat_ms") for ch in sup.children):
        sup.add(pinger_spec((yield kernel.self_())), c["limits"])
    yield from sup.start_all()
    # The same serving loop as every server (registered above, before the children
    # start, so they can find it); it survives running out of memory (oom_retry_ms).
    yield from serve(PROTOCOL, sup)
