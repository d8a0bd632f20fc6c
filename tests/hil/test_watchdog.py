# watchdog server on the board, with a stand-in WDT (a real one cannot be stopped and would
# reset the board under the next test; tests/host/test_servers_sim.py lets the real one
# reset a board of its own).
import kernel
import hil
from servers.api import watchdog

HIL_TIMEOUT_S = 30


class FakeWDT:
    last = None

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.feeds = 0
        FakeWDT.last = self

    def feed(self):
        self.feeds += 1


def test_check_in_failure_stops_feeding():
    beat = [True]

    def worker():
        wd = watchdog.client()
        while True:
            if beat[0]:
                yield from wd.checkin()
            yield kernel.sleep(20)

    def body():
        yield kernel.spawn(worker, name="hil-worker")
        yield kernel.sleep(300)
        wdt = FakeWDT.last
        assert wdt.timeout_ms == 2000 and wdt.feeds >= 10, wdt.feeds
        st = yield from watchdog.client().status()
        assert st["feeding"] and st["late"] == []
        beat[0] = False
        yield kernel.sleep(300)
        n = wdt.feeds
        yield kernel.sleep(200)
        assert wdt.feeds == n, "still feeding after the critical task stopped checking in"
        st = yield from watchdog.client().status()
        assert not st["feeding"] and st["late"] == ["hil-worker"], st
    hil.run(body, servers=({"name": "watchdog",
                            "config": {"critical": {"hil-worker": 150}, "timeout_ms": 2000, "grace_ms": 200,
                                       "wdt": FakeWDT, "feed_ms": 10}},))


def test_unknown_task_cannot_check_in():
    def body():
        wd = watchdog.client()
        try:
            yield from wd.checkin()
            assert False
        except Exception as e:
            assert getattr(e, "code", None) == "noent", e
        assert (yield from wd.watch(500))
        assert (yield from wd.checkin()) == 500
    hil.run(body, servers=({"name": "watchdog", "config": {"critical": {}, "timeout_ms": 2000, "grace_ms": 0, "wdt": FakeWDT, "feed_ms": 10}},))
