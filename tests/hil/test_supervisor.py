# Supervisor on the board: restart with exponential backoff, escalation to the group and
# to a board reset (recorded by hil, not done), hold/release, and a server killed 100
# times whose clients see Dead or a retryable error, never a hang.
import kernel
import hil
from kernel import port
from servers.api import gpio
from servers.api import supervisor as S
from servers.lib.base import ServerError

HIL_TIMEOUT_S = 90


def crasher():
    # A task that fails shortly after each start.
    yield kernel.register("crasher")
    yield kernel.sleep(2)
    raise RuntimeError("crasher crashed")


def steady():
    yield kernel.register("steady")
    while True:
        yield kernel.recv()


def test_restart_backoff_then_group_then_reset():
    def body():
        sup = S.client()
        steady0 = yield kernel.lookup("steady")
        ok = yield from hil.wait_for(lambda: hil.resets, 5000)
        assert ok, "no reset after repeated crashes"
        hist = yield from sup.history(32)
        mine = [h for h in hist if h["name"] == "crasher"]
        actions = [h["action"] for h in mine]
        assert actions == ["restart"] * 3 + ["group"] + ["restart"] * 3 + ["reset"], actions
        assert [h["delay_ms"] for h in mine[:3]] == [0, 10, 20], mine
        # the real gaps follow the backoff (each crash comes >= delay after the previous)
        for prev, cur in zip(mine[:3], mine[1:4]):
            assert port.ticks_diff(cur["t_ms"], prev["t_ms"]) >= prev["delay_ms"], (prev, cur)
        assert all(h["fault"]["type"] == "RuntimeError" for h in mine), mine
        assert "group crash" in hil.resets[0], hil.resets
        # the group restart took the steady member along; other tasks were left alone
        st = {s["name"]: s for s in (yield from sup.status())}
        assert st["steady"]["tid"] != steady0 and st["steady"]["state"] == "running", st
        assert st["crasher"]["state"] == "failed", st
        assert st["gpio"]["restarts"] == 0
    specs = (hil.spec("gpio", group="drivers"),
             hil.spec({"name": "crasher", "fn": crasher}, group="crash"),
             hil.spec({"name": "steady", "fn": steady}, group="crash"))
    hil.run(body, servers=specs, timeout_ms=10000,
            supervisor={"intensity": 3, "backoff_ms": 10, "group_intensity": 1, "period_ms": 10000})


def test_hold_release_and_manual_restart():
    def body():
        sup = S.client()
        t0 = yield kernel.lookup("gpio")
        yield from sup.hold("gpio")
        yield kernel.kill(t0)
        yield kernel.sleep(20)
        st = {s["name"]: s for s in (yield from sup.status())}
        assert st["gpio"]["state"] == "held" and st["gpio"]["held"], st
        try:
            yield kernel.lookup("gpio", 0)
            raise AssertionError("a held server was restarted")
        except kernel.Timeout:
            pass
        yield from sup.release("gpio")
        t1 = yield kernel.lookup("gpio", 1000)
        assert t1 != t0
        t2 = yield from sup.restart("gpio")
        assert t2 != t1 and (yield kernel.lookup("gpio", 1000)) == t2
        try:
            yield from sup.restart("nosuch")
            raise AssertionError("restarted a task not in the image")
        except ServerError as e:
            assert e.code == "noent"
    hil.run(body, servers=("gpio",))


def test_server_killed_100_times_comes_back_clients_never_hang():
    stats = {"ok": 0, "dead": 0, "other": 0}

    def hammer():
        # A client calling all the time, with a timeout so a hang would show as Timeout.
        c = gpio.client(timeout=2000)
        while True:
            try:
                yield from c.pins()
                stats["ok"] += 1
            except kernel.Dead:
                stats["dead"] += 1
            except kernel.Timeout:
                stats["other"] += 1
                raise AssertionError("a client call hung until its timeout")
            yield kernel.pass_()

    def body():
        yield kernel.spawn(hammer, name="hammer", prio=2)   # the body's level: round-robin
        c = gpio.client(timeout=2000)
        seen = set()
        for i in range(100):
            old = yield kernel.lookup("gpio", 2000)
            seen.add(old)
            yield kernel.kill(old)
            try:
                yield from c.pins()
            except kernel.Dead:
                pass                        # the documented answer: look it up again
            new = yield kernel.lookup("gpio", 2000)
            assert new != old, i
            assert (yield from c.pins()) == [], i
        assert len(seen) == 100
        st = {s["name"]: s for s in (yield from S.client().status())}
        assert st["gpio"]["restarts"] == 100, st
        assert stats["ok"] > 0 and stats["other"] == 0, stats
    hil.run(body, servers=(hil.spec("gpio", intensity=1000, backoff_ms=0),), timeout_ms=60000)
