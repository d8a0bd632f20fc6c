# watchdog: feeds the hardware watchdog only while every critical task is alive and well.
#
# Config: critical = {task_name: period_ms}. Each of those tasks calls ("checkin",) at
# least once per period (the server knows the caller by the name it was spawned under,
# so a restarted task keeps its slot). Every feed_ms the server
# feeds the hardware WDT if no critical task is late; if one is, it stops feeding and
# the WDT resets the board timeout_ms later, unless the task catches up first. A task
# can also make itself critical at run time with ("watch", period_ms).
#
# The WDT starts when the server does, and on RP2040 it cannot be stopped again: put
# the watchdog in the system image only when the board should reset on a hang. While the
# server's kernel is stopped (Ctrl-C at the REPL, state kept) and after the server ends,
# the board's keeper (hal/__init__.py) feeds the WDT instead, so a stopped system stays
# stopped; while the kernel runs, only this server feeds it.
import kernel
from kernel import port
from servers.lib.base import ServerError, BADREQ, NOENT, DENIED
from servers.lib.base import serve, configure
from servers.lib import postmortem
from servers.api.watchdog import PROTOCOL


def _hardware_wdt(handle):
    # The board's WDT, owned by this server: its keeper feeds it only while our kernel
    # does not run, and meanwhile watches for a task that holds the CPU.
    import hal
    import boards

    return lambda timeout_ms: hal.wdt(boards.current(), timeout_ms, handle.running,
                                     CpuWatch(handle, timeout_ms // 2, hal.KEEP_MS))


class CpuWatch:
    # Called every keep_ms by the board's keeper while the kernel runs: a task that has
    # held the CPU in one slice for hold_ms (it never yields: nothing can stop it but
    # the hardware watchdog) is named in the post-mortem before the reset comes. Held
    # time is measured, not counted in calls: on a loaded host the keeper runs late.
    def __init__(self, handle, hold_ms, keep_ms):
        self.handle = handle
        self.hold_ms = max(hold_ms, keep_ms)
        self.last = None
        self.since = 0
        self.done = False

    def __call__(self):
        h = self.handle.holder()
        now = port.ticks_ms()
        if h is None or h != self.last:
            self.last = h
            self.since = now
            self.done = False
            return
        held = port.ticks_diff(now, self.since)
        if held >= self.hold_ms and not self.done:
            self.done = postmortem.record("hold", h[0], "held the CPU for %d ms without yielding; "
                                          "the watchdog will reset the board" % held)


class Watchdog:
    def __init__(self, critical=None, timeout_ms=5000, grace_ms=1000, wdt=None, feed_ms=None,
                 real=False):
        now = port.ticks_ms()
        self.real = real            # the board's WDT: handed back to its keeper at the end
        self.timeout_ms = timeout_ms
        self.periods = {}
        self.deadlines = {}
        for name, period in (critical or {}).items():
            self.periods[name] = period
            self.deadlines[name] = port.ticks_add(now, period + grace_ms)
        self.dynamic = {}           # names made critical by "watch"
        self.client_names = {}      # tid -> name (filled by serve), so a check-in costs one lookup
        self.period_ms = feed_ms or max(10, min(timeout_ms // 4, 1000))
        self.feeding = True
        self.feeds = 0
        self.late = []
        self.wdt = wdt(timeout_ms)
        self.feed()

    def close(self):
        if self.real:
            import hal

            hal.wdt_owner(None)      # the keeper feeds until a new server owns it

    def feed(self):
        self.wdt.feed()
        self.feeds += 1

    def late_tasks(self, now):
        return [n for n, dl in self.deadlines.items() if port.ticks_diff(now, dl) > 0]

    def on_tick(self):
        self.late = self.late_tasks(port.ticks_ms())
        was = self.feeding
        self.feeding = not self.late
        if self.feeding:
            self.feed()
        elif was:                   # who the coming reset is for, kept across it
            postmortem.record("reset", "watchdog", "%s did not check in: the board resets in "
                              "%d ms" % (", ".join(self.late), self.timeout_ms))

    def name_of(self, sender):
        name = self.client_names.get(sender)
        if name is None:
            raise ServerError(NOENT, "unknown task %r" % (sender,))
        return name

    def op_checkin(self, sender):
        name = self.name_of(sender)
        period = self.periods.get(name)
        if period is None:
            raise ServerError(NOENT, "%s is not a critical task" % name)
        self.deadlines[name] = port.ticks_add(port.ticks_ms(), period)
        return period

    def op_watch(self, sender, period_ms):
        if period_ms <= 0:
            raise ServerError(BADREQ, "period_ms must be > 0")
        name = self.name_of(sender)
        if name in self.periods and name not in self.dynamic:
            raise ServerError(BADREQ, "%s is critical by configuration" % name)
        self.periods[name] = period_ms
        self.dynamic[name] = True
        self.deadlines[name] = port.ticks_add(port.ticks_ms(), period_ms)
        return True

    def op_unwatch(self, sender):
        name = self.name_of(sender)
        if name not in self.periods:
            raise ServerError(NOENT, "%s is not a critical task" % name)
        if name not in self.dynamic:
            raise ServerError(DENIED, "%s is critical by configuration" % name)
        del self.periods[name]
        del self.deadlines[name]
        del self.dynamic[name]
        return True

    def op_status(self, sender):
        now = port.ticks_ms()
        tasks = {}
        for n, p in self.periods.items():
            tasks[n] = [p, port.ticks_diff(self.deadlines[n], now)]
        return {"feeding": self.feeding, "feeds": self.feeds, "timeout_ms": self.timeout_ms,
                "late": self.late_tasks(now), "tasks": tasks}


# critical: {task name: period_ms} of the tasks that must check in; timeout_ms: the
# hardware WDT's timeout; grace_ms: time a critical task has after boot for its first
# check-in; feed_ms: how often the WDT is fed (default: a quarter of timeout_ms); wdt: a
# function timeout_ms -> object with feed() (tests), None for the board's WDT.
CONFIG = {"critical": None, "timeout_ms": 5000, "grace_ms": 1000, "feed_ms": None, "wdt": None}


def main(name="watchdog", **config):
    c = configure(CONFIG, config, name)
    wdt, real = c["wdt"], c["wdt"] is None
    if real:
        yield kernel.claim("wdt")          # the board's one WDT: the image's owner only
        h = yield kernel.handle(0)
        wdt = _hardware_wdt(h)
    yield from serve(PROTOCOL, Watchdog(c["critical"], c["timeout_ms"], c["grace_ms"], wdt,
                                        c["feed_ms"], real), name)


