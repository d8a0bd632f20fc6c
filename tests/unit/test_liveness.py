# Liveness supervision on a real kernel: the supervisor's pinger catches a server that
# loops while yielding (above its clients' priority), one that stops receiving, and one
# that hangs before it registers; each is ended, recorded as "hang" and restarted, and
# serves again. Runs under CPython and the MicroPython unix port.
import kernel
from kernel import recv, reply, register, lookup, sleep, call
from servers import supervisor
from srvutil import run, server

_incarnations = {}


def hanger(how):
    n = _incarnations[how] = _incarnations.get(how, 0) + 1
    if how == "early" and n == 1:
        while True:                     # never registers, never receives
            yield
    yield register(how)
    while True:
        s, m = yield recv()
        if m == ("ping",) or m == "hello":
            yield reply(s, m == "hello" and n or True)
        elif m == "hang":
            yield reply(s, True)
            if how == "spin":
                while True:             # loops while yielding, at priority 6
                    yield
            while True:                 # stops receiving: asleep for good
                yield sleep(100000)


def spec(how, prio):
    return {"name": how, "fn": hanger, "args": (how,), "prio": prio, "heartbeat_ms": 30}


IMAGE = {"tasks": [spec("spin", 6), spec("deaf", 3), spec("early", 3)],
         "supervisor": {"heartbeat_timeout_ms": 60, "backoff_ms": 1}}


def sup_server():
    return server(supervisor.main, config=dict(IMAGE["supervisor"], tasks=IMAGE["tasks"],
                                               reset=lambda why: None),
                  name="supervisor", prio=7, mailbox=16, privileged=True)


def hangs_of(name):
    sup = yield lookup("supervisor")
    hist = yield call(sup, ("history", 32))
    return [h for h in hist if h["name"] == name and h["reason"] == "hang"]


def wait_hang(name, ms=2000):
    for _ in range(ms // 20):
        h = yield from hangs_of(name)
        if h:
            return h
        yield sleep(20)
    raise AssertionError("%s: no hang recorded" % name)


def test_every_kind_of_hang_is_caught_and_restarted():
    _incarnations.clear()

    def body():
        # hangs before registering: found by tid, restarted, then registers and serves
        h = yield from wait_hang("early")
        assert h[0]["fault"]["type"] == "Hang" and h[0]["action"] == "restart", h
        tid = yield lookup("early", 2000)
        assert (yield call(tid, "hello", 500)) == 2
        for how in ("spin", "deaf"):
            tid = yield lookup(how, 1000)
            assert (yield call(tid, "hello", 500)) == 1
            assert (yield call(tid, "hang", 500)) is True
            yield from wait_hang(how)
            for _ in range(100):        # the restarted incarnation registers again
                new = yield lookup(how, 1000)
                if new != tid:
                    break
                yield sleep(10)
            assert new != tid and (yield call(new, "hello", 500)) == 2, how
        # a healthy server is pinged but never taken for hung
        yield sleep(200)
        for how in ("spin", "deaf", "early"):
            assert len((yield from hangs_of(how))) == 1, how
    run(body, [sup_server()], timeout_ms=8000)
