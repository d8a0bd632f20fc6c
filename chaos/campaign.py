# The campaign itself (MicroPython unix port; `make chaos` and `mpk chaos` run it): the
# firmware's own image (kernel, supervisor with its pinger, every server of the virtual
# board, the sensor logger) on the fake machine, a verified client load (chaos/load.py),
# two fuzzers sending hostile requests (chaos/hostile.py) and the injector
# (chaos/inject.py). Nothing but the firmware's own supervision recovers from the faults.
#
# It counts, per fault class, the faults injected, and for the whole run: kernel deaths
# (run() raised, or the supervisor ended), hangs (a client without a verified answer for
# HANG_MS), lost calls, wrong replies, restarts, server crashes caused by input (a server
# ended by an exception no injector raised), board resets the system asked for, and the
# rate. Progress lines ("chaos: {...}") every PROGRESS_MS, then one "chaos-result: {...}".
#
#   micropython -X heapsize=512K chaos/campaign.py SEED FAULTS SECONDS [SELFTEST [DIR [ONLY]]]
# SELFTEST ("-" for none) adds a deliberately broken server of that kind (crash, hang,
# lost, wrong, kernel), to show the campaign finds each failure. DIR holds the fs and log
# servers' files. ONLY: comma-separated fault classes, the others not injected.
import gc
import json
import sys

import kernel
from kernel import port
import boards
import hal
from firmware import system, image, main as fw
from servers import supervisor
from servers.lib import base
from servers.api import supervisor as supervisor_api
from chaos import hostile, inject, load as L
from chaos.rng import Rng

HANG_MS = 30000
PROGRESS_MS = 2000
FUZZERS = 4
INJECTED_TYPES = ("InjectedFault", "MemoryError", "Hang")


def fake_machine():
    # The fake machine (tests/unit/fake_machine.py), its WDT remembering its last feed: a
    # gap past its timeout is a reset the board would have had.
    import fake_machine as fm

    base_wdt = getattr(fm, "_CampaignBase", fm.WDT)
    fm._CampaignBase = base_wdt

    class Wdt(base_wdt):
        def __init__(self, id=0, timeout=5000):
            base_wdt.__init__(self, id, timeout)
            self.fed = port.ticks_ms()

        def feed(self):
            self.fed = port.ticks_ms()
    fm.WDT = Wdt
    return fm


class Campaign:
    def __init__(self, seed, target, seconds, selftest=None, crash=True, root="/tmp", only=None,
                 on_board=False):
        # on_board: the board's own machine instead of the fake one (mpk chaos): no bus
        # errors injected, no watchdog (a real one cannot be stopped), and only the load
        # the board's wiring and devices allow.
        self.fm = None if on_board else fake_machine()
        self.rng = Rng(seed)
        self.seed = seed
        self.target = target
        self.seconds = seconds
        self.selftest = selftest
        self.faults = {}             # class -> injected
        self.out = {"kernel_deaths": 0, "hangs": 0, "lost_calls": 0, "wrong_replies": 0,
                    "restarts": 0, "input_crashes": 0, "board_resets": 0, "watchdog_resets": 0,
                    "verified": 0, "error_replies": 0, "dead_or_full": 0}
        self.load = L.Load(self.out, Rng(seed + 1), 15000 if selftest is None else 1500)
        self.crash = crash and selftest is None
        self.only = only
        self.root = root
        self.examples = []
        self.causes = {}             # restarts by what ended the task (fault type or reason)
        self.ending = False
        self.t0 = None
        self.hung = {}
        self.hang_ms = HANG_MS if selftest is None else 3000

    # --- the system --------------------------------------------------------------------

    def image(self):
        fm = self.fm
        if fm is not None:
            fm.setup((("GP2", "GP3"), ("GP6", "GP7")))
            hal.use(fm)
            b = boards.current("sim")
        else:
            b = boards.current()
        log = dict(image.entry(system.IMAGE, "log")["config"]["persist"], dir=self.root + "/log")
        img = image.without(system.IMAGE, () if fm is not None else ("watchdog",),
                            fs={"root": self.root + "/data"}, log={"persist": log},
                            console={"quiet": True, "ctrl_c": False})  # no serial console here
        tasks = image.tasks_for(b, img)
        if self.selftest in ("crash", "hang", "lost", "wrong"):
            tasks.append(supervisor.spec_defaults({"name": "broken", "fn": broken_server,
                                                   "args": (self.selftest,), "prio": 3,
                                                   "group": "selftest"}, b.LIMITS))
        return tasks, b

    def tally_record(self, orig):
        # Wraps the supervisor's history: every abnormal end is counted here.
        camp = self

        def record(sup, c, tid, reason, action, delay, fault):
            if action in ("restart", "group"):
                camp.out["restarts"] += 1
                why = (fault or {}).get("type") or reason
                camp.causes[why] = camp.causes.get(why, 0) + 1
            if action == "reset":
                camp.out["board_resets"] += 1
            f = fault or {}
            typ = f.get("type")
            if reason.startswith("fault:") and typ not in INJECTED_TYPES:
                camp.out["input_crashes"] += 1
                camp.example("input_crash", "%s: %s %s | %s" % (c.name, typ, f.get("text", ""),
                                                                 (f.get("traceback") or "")[-200:]))
            return orig(sup, c, tid, reason, action, delay, fault)
        return record

    def example(self, what, text):
        if len(self.examples) < 12:
            self.examples.append(what + ": " + text)

    def total(self):
        return sum(self.faults.values())

    # --- the tasks --------------------------------------------------------------------

    def ticker(self):
        # Fires the fake machine's timers (what the hardware does between instructions).
        while True:
            self.fm.fire_due()
            yield kernel.sleep(2)

    def fuzzer(self, i, protocols, inj):
        # Hostile requests, one after another, to any server but one the injector has
        # just hung (its clients wait for the pings to find it; a fuzzer need not).
        rng = Rng(self.seed * 7 + i)
        names = sorted(protocols)
        tids = {}
        while True:
            name = rng.pick(names)
            if inj.recently_hung(name):
                yield
                continue
            proto = protocols[name]
            msg = hostile.request(rng, proto, base.check)
            ok = hostile.well_formed(proto, msg, base.check) if type(msg) is tuple else False
            if ok is None:
                self.out["input_crashes"] += 1
                self.example("checker", "base.check raised on a request to %s" % name)
                continue
            if ok and (name, msg[0]) in hostile.KEEP_OUT:
                continue
            tid = tids.get(name)
            if tid is None:
                try:
                    tid = tids[name] = yield kernel.lookup(name, 0)
                except kernel.Timeout:       # restarting: another server meanwhile
                    yield
                    continue
            self.faults["hostile-request"] = self.faults.get("hostile-request", 0) + 1
            try:
                r = yield kernel.call(tid, msg, self.load.call_ms)
            except (kernel.Dead, kernel.Full):
                tids.pop(name, None)
                continue
            except kernel.Timeout:
                tids.pop(name, None)
                self.load.note("lost_calls", "fuzzer", "%s: %s" % (name, hostile_text(msg)))
                continue
            if type(r) is tuple and len(r) == 3 and r[0] == "err" and \
                    (type(r[2]) is not str or len(r[2]) > 96):
                self.load.wrong("fuzzer", "unbounded error text from %s" % name)

    def injector(self, inj):
        n = 0
        while not self.ending:
            yield from inj.step()
            n += 1
            yield kernel.sleep(1 if n % 8 else 3)
        while True:                      # the campaign is ending: nothing more
            yield kernel.sleep(100000)

    def guarded(self, fn, *args):
        # A client or fuzzer outlives the MemoryErrors a storm gives it.
        while True:
            try:
                yield from fn(*args)
            except MemoryError:
                self.out["client_memory_errors"] = self.out.get("client_memory_errors", 0) + 1
                yield kernel.sleep(1)

    def controller(self, sup_tid, wdt):
        # Watches the supervisor, the clients' progress and the watchdog; prints the
        # progress; stops the kernel at the end. The harness meets the storms too: a
        # MemoryError here is survived.
        while True:
            try:
                yield from self._control(sup_tid)
                break
            except MemoryError:
                yield kernel.sleep(1)
        self.ending = True               # no new faults; a storm under way lets go
        yield kernel.sleep(50)
        yield kernel.stop()

    def _control(self, sup_tid):
        if self.t0 is None:
            yield kernel.monitor(sup_tid)
            self.t0 = port.ticks_ms()
        last = port.ticks_ms()
        while True:
            try:
                sender, msg = yield kernel.recv(200)
                if sender == kernel.KERNEL and type(msg) is tuple and msg[0] == "down":
                    self.out["kernel_deaths"] += 1
                    self.example("supervisor", "ended: %s" % (msg[2],))
                    for f in (yield kernel.info("faults", 4)):
                        if f.get("tid") == sup_tid:
                            self.example("supervisor", (f.get("traceback") or "")[-300:])
                    break
            except kernel.Timeout:
                pass
            now = port.ticks_ms()
            for c, t in self.load.progress.items():
                stuck = port.ticks_diff(now, t) > self.hang_ms
                if stuck and not self.hung.get(c):
                    self.out["hangs"] += 1
                    self.example("hang", "%s: no verified answer for %d ms" % (c, self.hang_ms))
                self.hung[c] = stuck
            w = self.fm.wdt[-1] if self.fm is not None and self.fm.wdt else None
            if w is not None and port.ticks_diff(now, w.fed) > w.timeout:
                self.out["watchdog_resets"] += 1
                self.example("watchdog", "not fed for %d ms" % port.ticks_diff(now, w.fed))
                w.fed = now
                yield from self._why_unfed()
            if port.ticks_diff(now, last) >= PROGRESS_MS:
                try:                         # a storm may leave no room for the line
                    print("chaos: " + json.dumps(self.report()))
                    last = now
                except MemoryError:
                    pass
            if self.total() >= self.target or port.ticks_diff(now, self.t0) >= self.seconds * 1000:
                return

    def _why_unfed(self):
        # What the watchdog server says: who was late (for the report).
        try:
            tid = yield kernel.lookup("watchdog", 0)
            st = yield kernel.call(tid, ("status",), 1000)
            self.example("watchdog", "status %s" % (st,))
        except Exception as e:
            self.example("watchdog", "no status: %s" % type(e).__name__)

    def report(self):
        dt = max(1, port.ticks_diff(port.ticks_ms(), self.t0 or port.ticks_ms()))
        r = dict(self.out)
        r["faults"] = dict(self.faults)
        r["restart_causes"] = dict(self.causes)
        r["total"] = self.total()
        r["seconds"] = dt / 1000
        r["rate"] = int(self.total() * 1000 / dt)
        r["seed"] = self.seed
        r["examples"] = self.examples + self.load.examples
        return r

    # --- running ----------------------------------------------------------------------

    def run(self):
        tasks, b = self.image()
        sup_entry, tasks = tasks[0], tasks[1:]
        self.board = b
        fm = self.fm
        k = kernel.Kernel(trace=64, forever=True, idle=fm.idle if fm else None, slow_slice_ms=50)
        orig = supervisor.Supervisor._record
        supervisor.Supervisor._record = self.tally_record(orig)
        servers = [t["name"] for t in tasks if t["name"] not in ("sensor_logger",)]
        protocols = {}
        for name in servers:
            mod = sys.modules.get("servers." + name) or _import("servers." + name)
            if mod is not None and hasattr(mod, "PROTOCOL"):
                protocols[name] = mod.PROTOCOL
        protocols["supervisor"] = supervisor_api.PROTOCOL
        if self.selftest in ("crash", "hang", "lost", "wrong"):
            protocols["broken"] = BROKEN
        armed = inject.Armed({id(p): n for n, p in protocols.items()})
        armed.install()
        classes = inject.CLASSES if self.crash else inject.HANDLER + inject.LOAD + ("hostile-request",)
        if fm is None:
            classes = tuple(c for c in classes if c != "bus-error")
        if self.only:
            classes = tuple(c for c in classes if c in self.only)
        fuzzers = FUZZERS if "hostile-request" in classes else 0
        targets = [n for n in protocols if n not in ("supervisor", "broken")]
        inj = inject.Injector(self.rng, self.faults, armed, targets, fm, classes=classes,
                              pace=1 if fm is not None else 10)
        if fm is None:
            self.load.storm_since = inj.stormed_since
        sup = fw.spawn_supervisor(k, b, [sup_entry] + tasks, image.reserved(b), self.reset,
                                  postmortem=False)
        if fm is not None:
            k.spawn(self.guarded, self.ticker, name="ticker", prio=7)
        k.spawn(self.controller, sup, None, name="controller", prio=7, privileged=True)
        k.spawn(self.guarded, self.injector, inj, name="injector", prio=6, privileged=True)
        for i in range(fuzzers):
            k.spawn(self.guarded, self.fuzzer, i, protocols, inj, name="fuzzer%d" % i, prio=1)
        for name, fn, args in L.clients(fake=fm is not None, board=b):
            k.spawn(self.guarded, fn, self.load, *args, name=name, prio=2)
        if self.selftest in ("crash", "hang", "lost", "wrong"):
            k.spawn(self.guarded, broken_client, self.load, name="broken-client", prio=2)
        if self.selftest == "kernel":
            k.spawn(kernel_killer, name="kernel-killer", prio=1)
        try:
            r = k.run()
            if r != "stopped":
                self.out["kernel_deaths"] += 1
                self.example("kernel", "run() returned %r" % (r,))
        except BaseException as e:
            self.out["kernel_deaths"] += 1
            self.example("kernel", "run() raised %s: %s" % (type(e).__name__, _text(e)))
        finally:
            armed.uninstall()
            supervisor.Supervisor._record = orig
        # The kernel stopped wherever its tasks stood, a storm perhaps holding the heap:
        # let every task go before the report is made.
        k = None
        gc.collect()
        return self.report()

    def reset(self, why):
        self.example("reset", why)


def _import(name):
    try:
        __import__(name)
        return sys.modules[name]
    except ImportError:
        return None


def _text(e):
    try:
        return str(e)[:200]
    except Exception:
        return "?"


def hostile_text(msg):
    try:
        return repr(msg)[:80]
    except Exception:
        return "<%s>" % type(msg).__name__


# --- the self-tests: a deliberately broken server of each kind, and its client -----------

BROKEN = {"double": ((("n", int),), "2 * n", ())}


def broken_server(kind):
    # Serves ("double", n) with its own loop, broken in one way:
    #   crash  ends on a malformed request (the fuzzers send them)
    #   hang   loops forever on a malformed request (it has no heartbeat: only the
    #          campaign's hang detector can see it)
    #   lost   never answers one call in 50;  wrong  answers one call in 50 wrongly
    yield kernel.register("broken")
    n = 0
    while True:
        s, m = yield kernel.recv()
        if s == kernel.KERNEL:
            continue
        n += 1
        if type(m) is tuple and len(m) == 2 and type(m[0]) is str and m[0] == "double" \
                and type(m[1]) is int:
            if kind == "lost" and n % 50 == 0:
                continue
            yield kernel.reply(s, m[1] * (3 if kind == "wrong" and n % 50 == 0 else 2))
        elif kind == "crash":
            yield kernel.reply(s, m[1] + 1)          # TypeError, IndexError, ...
        elif kind == "hang":
            while True:
                yield
        else:
            yield kernel.reply(s, ("err", "badreq", "double(n)"))


def broken_client(load):
    c = "broken-client"
    i = 0
    while True:
        i += 1
        st, r, tid = yield from load.call(c, "broken", ("double", i))
        if st == L.OK:
            if r != 2 * i:
                load.wrong(c, "double(%d) returned %r" % (i, r))
            else:
                load.done(c)
        yield kernel.sleep(1)


def kernel_killer():
    # The kernel self-test: a fault whose recording fails. The kernel is built to record
    # any fault, so the test breaks the recorder first.
    from kernel import faults

    def broken_fault(self, t, e):
        raise RuntimeError("the fault recorder itself failed")
    faults.Faults._fault = broken_fault
    yield kernel.sleep(500)
    raise ValueError("a task fails")


def main(argv):
    seed = int(argv[1]) if len(argv) > 1 else 1
    target = int(argv[2]) if len(argv) > 2 else 10000
    seconds = int(argv[3]) if len(argv) > 3 else 60
    selftest = argv[4] if len(argv) > 4 and argv[4] != "-" else None
    root = argv[5] if len(argv) > 5 else "/tmp/mpk-chaos-%d" % seed
    only = argv[6].split(",") if len(argv) > 6 and argv[6] != "-" else None
    for d in (root, root + "/data", root + "/log"):
        try:
            import os

            os.mkdir(d)
        except OSError:
            pass
    on_board = len(argv) > 7 and argv[7] == "board"
    r = Campaign(seed, target, seconds, selftest, root=root, only=only, on_board=on_board).run()
    gc.collect()
    sys.stdout.write("chaos-result: ")   # streamed: the heap may be fragmented by now
    json.dump(r, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
