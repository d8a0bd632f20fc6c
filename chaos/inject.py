# The fault injector: a privileged task that, on a seeded schedule, makes the servers of
# the running image fail in every way the campaign counts.
#
#   in a handler (the server must answer with an error and keep serving):
#     handler-exception   InjectedFault raised in a handler, before or after its work
#     handler-memory      MemoryError raised there
#     bus-error           the next I2C transactions fail with EIO (the simulated devices)
#   from outside (the supervisor must restart the server):
#     task-exception      InjectedFault raised where the server stands (kernel.inject)
#     task-memory         MemoryError raised there
#     kill                the server is killed
#   hangs (the supervisor's pings must find them):
#     hang-stopped        the server is never run again (kernel.inject "hang")
#     hang-spinning       a handler loops while yielding, forever
#     hang-sleeping       a handler sleeps forever (the server stops receiving)
#   load:
#     allocation-storm    the heap is filled until MemoryError, held a few ms, let go
#     mailbox-flood       a server's mailbox is filled with messages that are no calls
#   (hostile-request, malformed and hostile calls, are the fuzzers' in campaign.py)
#
# Faults that end a server come at most once per CRASH_GAP_MS for any one server, below
# the supervisor's restart intensity (5 in 10 s), so that they test recovery rather than
# escalation, and hangs one per HANG_EVERY_MS, since each holds its server's clients until
# the pings find it; the injector does not otherwise spare anything.
import gc
import kernel
from servers.lib import base

HANDLER = ("handler-exception", "handler-memory", "bus-error")
CRASH = ("task-exception", "task-memory", "kill")
HANGS = ("hang-stopped", "hang-spinning", "hang-sleeping")
LOAD = ("allocation-storm", "mailbox-flood")
CLASSES = HANDLER + CRASH + HANGS + LOAD + ("hostile-request",)
CRASH_GAP_MS = 2500         # between two ending faults of one server
CRASH_EVERY_MS = 200        # ... and of any two servers
HANG_EVERY_MS = 3000        # between two hangs (each takes up to a ping period + timeout)
HUNG_MS = 8000              # a server hung this recently is still being found
LOAD_GAP_MS = 100           # between two storms or floods: load, not a standstill


class InjectedFault(Exception):
    pass


class Armed:
    # The dispatch wrapper: a fault armed for a server fires in its next handler.
    def __init__(self, names_by_protocol):
        self.names = names_by_protocol   # id(PROTOCOL) -> server name
        self.armed = {}                  # server name -> fault class
        self.fired = {}
        self._orig = base.dispatch

    def install(self):
        base.dispatch = self.dispatch

    def uninstall(self):
        base.dispatch = self._orig

    def dispatch(self, protocol, impl, sender, msg):
        if self.armed:
            name = self.names.get(id(protocol))
            kind = self.armed.pop(name, None) if name is not None else None
            if kind is not None:
                op = msg[0] if type(msg) is tuple and msg and type(msg[0]) is str else None
                if op is None or op not in protocol:
                    self.armed[name] = kind          # a malformed request: the next one
                else:
                    self.fired[kind] = self.fired.get(kind, 0) + 1
                    return self._faulty(protocol, impl, sender, msg, op, kind)
        return self._orig(protocol, impl, sender, msg)

    def _faulty(self, protocol, impl, sender, msg, op, kind):
        attr = "op_" + op
        real = getattr(impl, attr)
        after = (self.fired[kind] & 1) == 1

        def faulty(*a):
            if kind == "hang-spinning":
                return _spin()
            if kind == "hang-sleeping":
                return _sleep_forever()
            exc = MemoryError("injected in a handler") if kind == "handler-memory" \
                else InjectedFault("injected in a handler")
            if not after:
                raise exc
            r = real(*a)
            if base.is_gen(r):
                return _then_raise(r, exc)
            raise exc
        setattr(impl, attr, faulty)
        try:
            return self._orig(protocol, impl, sender, msg)
        finally:
            try:
                delattr(impl, attr)
            except AttributeError:
                pass


def _past(now, t, ms):
    return t is None or kernel.port.ticks_diff(now, t) >= ms


def _spin():
    while True:
        yield


def _sleep_forever():
    while True:
        yield kernel.sleep(100000)


def _then_raise(r, exc):
    yield from r
    raise exc


class Injector:
    def __init__(self, rng, tally, armed, targets, fm, crash_gap_ms=CRASH_GAP_MS,
                 classes=CLASSES, pace=1):
        # pace: how many times further apart load and ending faults come (a board runs
        # the campaign several times slower than the unix port, and its gc is slower)
        self.rng = rng
        self.tally = tally               # class -> faults injected
        self.armed = armed
        self.targets = targets           # server names
        self.fm = fm                     # the fake machine (bus errors)
        self.gap = crash_gap_ms * pace
        self.pace = pace
        self.classes = [c for c in classes if c != "hostile-request"] or [None]
        self.last_crash = {}             # server -> ticks_ms of its last ending fault
        self.last_load = None
        self.last_end = None
        self.last_hang = None
        self.hung_at = {}                # server -> ticks_ms of its last hang
        self.last_storm = None
        self.disturbed = {}              # server -> ending faults so far

    def count(self, cls):
        self.tally[cls] = self.tally.get(cls, 0) + 1

    def may_end(self, name, now):
        t = self.last_crash.get(name)
        return t is None or kernel.port.ticks_diff(now, t) >= self.gap

    def step(self):
        # Generator: inject one fault (or none, when the one drawn must wait).
        rng = self.rng
        cls = rng.pick(self.classes)
        if cls is None:                  # only hostile requests in this campaign
            return
        name = rng.pick(self.targets)
        now = kernel.port.ticks_ms()
        if cls in HANDLER[:2]:
            if name not in self.armed.armed:
                self.armed.armed[name] = cls
                self.count(cls)
            return
        if cls == "bus-error":
            self.fm.i2c_fail[0] += 1 + rng.below(3)
            self.count(cls)
            return
        if cls in LOAD:
            if self.last_load is not None and kernel.port.ticks_diff(now, self.last_load) < LOAD_GAP_MS * self.pace:
                return
            self.last_load = now
            yield from (self.flood(name) if cls == "mailbox-flood" else self.storm())
            return
        # the rest end or hang a server: one at a time per server, spaced out
        if not self.may_end(name, now) or name in self.armed.armed or \
                not _past(now, self.last_end, CRASH_EVERY_MS * self.pace):
            return
        if cls in HANGS:
            if not _past(now, self.last_hang, HANG_EVERY_MS * self.pace):
                return
            self.last_hang = now
            self.hung_at[name] = now
        self.last_end = now
        try:
            tid = yield kernel.lookup(name, 0)
        except kernel.Timeout:
            return                       # restarting: it has had its fault
        self.last_crash[name] = now
        self.disturbed[name] = self.disturbed.get(name, 0) + 1
        self.count(cls)
        if cls == "kill":
            try:
                yield kernel.kill(tid)
            except kernel.Dead:
                pass
        elif cls == "hang-spinning" or cls == "hang-sleeping":
            self.armed.armed[name] = cls
        else:
            kind = {"task-exception": "exception", "task-memory": "memory",
                    "hang-stopped": "hang"}[cls]
            try:
                yield kernel.inject(tid, kind)
            except kernel.Dead:
                pass

    def stormed_since(self, t0):
        t = self.last_storm
        return t is not None and kernel.port.ticks_diff(t, t0) >= -10

    def recently_hung(self, name):
        t = self.hung_at.get(name)
        return t is not None and not _past(kernel.port.ticks_ms(), t, HUNG_MS)

    def flood(self, name):
        try:
            tid = yield kernel.lookup(name, 0)
        except kernel.Timeout:
            return
        self.count("mailbox-flood")
        for i in range(64):
            try:
                yield kernel.send(tid, ("flood", i))
            except (kernel.Full, kernel.Dead):
                break

    def storm(self):
        # Fill the heap until it runs out, hold it 1-5 ms (others then fail to allocate,
        # for real), let it go.
        self.count("allocation-storm")
        self.last_storm = kernel.port.ticks_ms()
        hold = []
        try:
            while len(hold) < 4000:
                hold.append(bytearray(2048))
        except MemoryError:
            pass
        try:
            yield kernel.sleep(1 + self.rng.below(5))
        finally:
            hold = None
            gc.collect()
