# watchdog server with a fake WDT: feeds only while every critical task checks in.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
from kernel import call, lookup, spawn, sleep, register, kill
from servers import watchdog
from servers.api import watchdog as watchdog_api
from servers.lib.base import ServerError
from srvutil import run, server


class FakeWDT:
    made = []

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.feeds = 0
        FakeWDT.made.append(self)

    def feed(self):
        self.feeds += 1


def wd_server(critical, **kw):
    FakeWDT.made = []
    return server(watchdog.main, config={"critical": critical, "timeout_ms": 400, "grace_ms": 0, "wdt": FakeWDT,
                                         "feed_ms": 10}, **kw)


def test_feeds_only_while_critical_tasks_check_in():
    state = {"beat": True}

    def heart():
        wd = watchdog_api.client()
        while True:
            if state["beat"]:
                assert (yield from wd.checkin()) == 100
            yield sleep(10)

    def body():
        yield spawn(heart, name="heart")
        yield sleep(150)
        wdt = FakeWDT.made[0]
        assert wdt.timeout_ms == 400
        st = yield from watchdog_api.client().status()
        assert st["feeding"] and st["late"] == [] and wdt.feeds >= 5, (st, wdt.feeds)
        # the task stops checking in: feeding stops once its period has passed
        state["beat"] = False
        yield sleep(250)
        stopped_at = wdt.feeds
        yield sleep(150)
        assert wdt.feeds == stopped_at
        st = yield from watchdog_api.client().status()
        assert not st["feeding"] and st["late"] == ["heart"]
        assert st["tasks"]["heart"][0] == 100 and st["tasks"]["heart"][1] < 0
        # it recovers before the WDT fires: feeding resumes
        state["beat"] = True
        yield sleep(100)
        assert wdt.feeds > stopped_at
        assert (yield from watchdog_api.client().status())["feeding"]
    run(body, [wd_server({"heart": 100})])


def test_a_critical_task_that_never_starts_starves_the_wdt():
    def body():
        yield sleep(120)
        wdt = FakeWDT.made[0]
        n = wdt.feeds
        yield sleep(100)
        assert wdt.feeds == n and n <= 8          # only before "ghost" was due
        st = yield from watchdog_api.client().status()
        assert st["late"] == ["ghost"] and not st["feeding"]
    run(body, [wd_server({"ghost": 50})])


def test_checkin_by_task_name_survives_restart():
    def worker():
        wd = watchdog_api.client()
        yield from wd.checkin()
        yield sleep(10000)

    def body():
        t1 = yield spawn(worker, name="sensor")
        yield sleep(20)
        yield kill(t1)
        yield spawn(worker, name="sensor")        # new incarnation (new tid), same name
        yield sleep(20)
        st = yield from watchdog_api.client().status()
        assert st["tasks"]["sensor"][1] > 0
    run(body, [wd_server({"sensor": 500})])


def test_watch_unwatch_and_errors():
    def body():
        wd = watchdog_api.client()
        try:
            yield from wd.checkin()
            assert False
        except ServerError as e:
            assert e.code == "noent" and "body" in e.text
        assert (yield from wd.watch(80))
        assert (yield from wd.checkin()) == 80
        assert "body" in (yield from wd.status())["tasks"]
        assert (yield from wd.unwatch())
        assert "body" not in (yield from wd.status())["tasks"]
        for bad, code in ((wd.watch(0), "badreq"), (wd.unwatch(), "noent")):
            try:
                yield from bad
                assert False
            except ServerError as e:
                assert e.code == code
        srv = yield lookup("watchdog")
        for msg in (("checkin", 1), ("watch",), ("watch", "10"), ("status", 1), ("feed",), 7):
            r = yield call(srv, msg)
            assert r[0] == "err" and r[1] == "badreq", (msg, r)
        assert (yield from wd.status())["feeding"]   # still serving, still feeding

    def fixed():
        yield register("fixed")
        wd = watchdog_api.client()
        try:
            yield from wd.unwatch()
            assert False
        except ServerError as e:
            assert e.code == "denied"
        try:
            yield from wd.watch(5)
            assert False
        except ServerError as e:
            assert e.code == "badreq"

    def both():
        yield spawn(fixed, name="fixed")
        yield from body()
    run(both, [wd_server({"fixed": 100000})])
