# Kernel calls and their guarantees: a reply answers only the call it was meant for (call
# ids), send waits a bounded time for room, a server serving a higher-priority caller runs
# at its priority (inheritance), and recording a fault cannot fail whatever a task raises.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
import kernel
from kernel import (send, recv, call, reply, register, lookup, spawn, sleep, pass_, self_, info,
                    monitor, notify, client, port, Dead, Full, Timeout)


def test_a_late_reply_is_refused_never_delivered_to_the_next_call():
    # A server that defers its replies answers an old call after its caller gave up and
    # made a new one: the old reply is refused (False), the new call gets its own answer.
    k = kernel.Kernel()
    out = []

    def deferring():
        yield register("srv")
        s1, m1 = yield recv()
        s2, m2 = yield recv()                   # the caller's second call (the first timed out)
        out.append(("same caller", client(s1) == client(s2), s1 != s2))
        out.append(("late reply", (yield reply(s1, "answer to " + m1))))
        out.append(("reply", (yield reply(s2, "answer to " + m2))))
        out.append(("again", (yield reply(s2, "twice"))))      # answered already

    def caller():
        srv = yield lookup("srv")
        try:
            yield call(srv, "first", timeout=10)
        except Timeout:
            out.append("first timed out")
        out.append(("second got", (yield call(srv, "second"))))

    k.spawn(deferring)
    k.spawn(caller)
    k.run()
    assert out == ["first timed out", ("same caller", True, True), ("late reply", False),
                   ("reply", True), ("again", False), ("second got", "answer to second")]


def test_a_reply_from_the_wrong_server_is_refused():
    k = kernel.Kernel()
    out = []

    def srv():
        yield register("srv")
        s, m = yield recv()
        yield sleep(20)
        yield reply(s, "real")

    def impostor():
        yield register("impostor")
        s, cid = yield recv()                  # learns the call id of someone else's call
        out.append(("impostor reply", (yield reply(cid, "forged"))))

    def caller():
        srv_tid = yield lookup("srv")
        imp = yield lookup("impostor")
        me = yield self_()

        def tell():
            yield sleep(5)
            # the caller's current call id: (seq << 20) | tid with seq 1
            yield send(imp, (1 << 20) | me)

        yield spawn(tell)
        out.append(("caller got", (yield call(srv_tid, "q"))))

    k.spawn(srv)
    k.spawn(impostor)
    k.spawn(caller)
    k.run()
    assert out == [("impostor reply", False), ("caller got", "real")]


def test_send_waits_for_room_up_to_its_timeout():
    k = kernel.Kernel()
    out = []

    def slow_reader():
        yield register("reader")
        yield sleep(30)
        while True:
            s, m = yield recv(50)
            out.append(("got", m))

    def sender():
        r = yield lookup("reader")
        yield send(r, 1)                        # the mailbox holds one
        try:
            yield send(r, 2)                    # timeout 0: Full at once, as before
        except Full:
            out.append("full at once")
        try:
            yield send(r, 2, timeout=5)         # the reader sleeps 30 ms: still full
        except Full:
            out.append("full after 5 ms")
        yield send(r, 3, timeout=1000)          # waits until the reader makes room
        out.append("3 sent")
        yield send(r, 4, timeout=None)          # as long as it takes
        out.append("4 sent")

    k.spawn(slow_reader, mailbox=1)
    k.spawn(sender)
    try:
        k.run()
    except Exception:
        raise
    assert out[:3] == ["full at once", "full after 5 ms", ("got", 1)], out
    assert ("got", 3) in out and ("got", 4) in out and "3 sent" in out and "4 sent" in out
    assert out.index(("got", 3)) < out.index(("got", 4))        # nothing lost, in order


def test_a_sender_waiting_for_room_learns_the_reader_died():
    k = kernel.Kernel()
    out = []

    def stuck():
        yield register("stuck")
        yield sleep(20)

    def sender():
        r = yield lookup("stuck")
        yield send(r, 1)
        try:
            yield send(r, 2, timeout=1000)
        except Dead:
            out.append("dead")

    k.spawn(stuck, mailbox=1)
    k.spawn(sender)
    k.run()
    assert out == ["dead"]


def _inversion(lend=True):
    # A priority-7 caller waits on a priority-2 server while a priority-5 task computes
    # for many slices. No clock in it: the caller calls once the medium task has begun
    # (it tells it so), so the order depends on priorities alone. Returns the order in
    # which things finished.
    k = kernel.Kernel()
    if not lend:
        k._lend = lambda d, prio: None          # the same kernel without inheritance
    order = []
    prios = []

    def server():
        yield register("srv")
        while True:
            s, m = yield recv()
            for _ in range(5):                  # work that takes a few slices of its own
                yield pass_()
            me = yield self_()
            prios.append((yield info("task", me))["prio"])
            yield reply(s, m)

    def medium():
        yield lookup("srv")                     # (the server is up)
        high = yield lookup("high")
        yield notify(high, 1)                   # computing from now on
        for _ in range(300):                    # 300 slices of work
            yield pass_()
        order.append("medium done")

    def high():
        yield register("high")
        srv = yield lookup("srv")
        yield recv()                            # until the medium task computes
        yield call(srv, "urgent")
        order.append("high served")

    k.spawn(server, prio=2)
    k.spawn(medium, prio=5)
    k.spawn(high, prio=7)
    k.run()
    return order, prios, k


def test_priority_inheritance_a_server_runs_at_its_callers_priority():
    order, prios, k = _inversion()
    assert order == ["high served", "medium done"], order
    assert prios == [7]                          # lent while it served the call
    srv = [t for t in k.tasks() if k.task_info(t)["name"] == "server"][0]
    rec = k.task_info(srv)
    assert rec["prio"] == 2 and rec["base_prio"] == 2          # back to its own
    # Without lending the same scenario inverts: the medium task delays the high one.
    order, prios, _ = _inversion(lend=False)
    assert order == ["medium done", "high served"] and prios == [2], (order, prios)


def test_a_lent_priority_lasts_while_higher_callers_are_held_or_queued():
    k = kernel.Kernel()
    seen = []

    def server():
        yield register("srv")
        held = []
        me = yield self_()
        for _ in range(3):
            s, m = yield recv()
            held.append(s)
            seen.append(("got " + m, (yield info("task", me))["prio"]))
        for s in held:                          # answers them later, lowest first
            yield reply(s, "ok")
            seen.append(("replied", (yield info("task", me))["prio"]))

    def caller(p):
        srv = yield lookup("srv")
        yield sleep(15 * p)                     # the order they call in: 1, 4, 6 (far
                                                # enough apart for a loaded machine)
        yield call(srv, "from %d" % p)

    k.spawn(server, prio=0)
    for p in (1, 4, 6):
        k.spawn(caller, p, name="c%d" % p, prio=p)
    k.run()
    assert seen == [("got from 1", 1), ("got from 4", 4), ("got from 6", 6),
                    ("replied", 6), ("replied", 6), ("replied", 0)], seen


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for you")

    def __repr__(self):
        raise RuntimeError("nor a repr")


def test_recording_a_fault_never_fails_whatever_is_raised():
    k = kernel.Kernel()
    out = []

    def bad_str():
        yield sleep(1)
        raise Unprintable()

    def exits():
        yield sleep(1)
        raise SystemExit(3)

    def weird_yield():
        class Odd:
            def __repr__(self):
                raise RuntimeError("no repr")
        yield Odd()

    def survivor():
        ts = []
        for fn in (bad_str, exits, weird_yield):
            t = yield spawn(fn, name=fn.__name__)
            yield monitor(t)
            ts.append(t)
        for _ in ts:
            s, m = yield recv()
            out.append((m[0], m[2]))
        out.append("still running")

    k.spawn(survivor, privileged=True)
    assert k.run() == "idle"
    assert sorted(out[:3]) == [("down", "fault:SystemExit"), ("down", "fault:TypeError"),
                               ("down", "fault:Unprintable")], out
    assert out[3] == "still running"
    kinds = {f["name"]: f for f in k.faults()}
    assert kinds["bad_str"]["type"] == "Unprintable" and "unprintable" in kinds["bad_str"]["text"]
    assert kinds["exits"]["type"] == "SystemExit"
    assert kinds["weird_yield"]["type"] == "TypeError"


def test_an_unprintable_request_to_the_log_server_does_not_end_the_system():
    from servers import log
    from srvutil import run, server

    class Nasty:
        def __repr__(self):
            raise RuntimeError("repr bomb")

        __str__ = __repr__

    def body():
        lg = yield lookup("log")
        r = yield call(lg, ("write", "info", "tag", Nasty()), 1000)
        assert type(r) is tuple and r[0] == "err", r
        r = yield call(lg, ("write", Nasty()), 1000)
        assert type(r) is tuple and r[0] == "err", r
        r = yield call(lg, ("tail", 1), 1000)   # the server still answers
        assert type(r) is list
    run(body, [server(log.main, config={"capacity": 16})])
