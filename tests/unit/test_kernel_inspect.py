# Kernel inspection: ps(), trace(), stats() as text and data, from outside the loop.
import io
import sys

import kernel
from kernel import recv, reply, call, register, lookup, sleep


def capture(fn, *args):
    # Run fn with print() going to a string (works on MicroPython and CPython).
    import builtins

    lines = []
    real = builtins.print

    def fake(*a, **kw):
        lines.append(" ".join(str(x) for x in a))

    builtins.print = fake
    try:
        fn(*args)
    finally:
        builtins.print = real
    return "\n".join(lines)


def system():
    k = kernel.Kernel()

    def server():
        yield register("echo")
        while True:
            s, m = yield recv()
            yield reply(s, m)

    def client():
        e = yield lookup("echo")
        for i in range(3):
            yield call(e, i)
        yield sleep(500)

    k.spawn(server, mailbox=4)
    k.spawn(client, name="app", prio=2)

    def stopper():
        yield sleep(10)
        k.stop()

    k.spawn(stopper)
    k.run()
    return k


def test_ps_shows_every_task_with_state_and_waits():
    k = system()
    from firmware import repl

    text = capture(repl.ps)
    lines = text.splitlines()
    assert lines[0].split() == ["TID", "NAME", "STATE", "WAITS", "PRIO", "MAILBOX", "CPU_MS", "MEM",
                                "RESTARTS", "FAULTS"]         # the layout of `mpk ps`
    rows = {line.split()[1]: line for line in lines[1:]}
    assert set(rows) == {"server", "app"}
    assert " recv " in rows["server"] and "0/4" in rows["server"]
    assert " sleep " in rows["app"] and "ms" in rows["app"]


def test_trace_lists_recent_ipc_events_in_order():
    k = system()
    events = k.trace_events()
    kinds = [e[1] for e in events]
    assert kinds.count("call") == 3 and kinds.count("reply") == 3
    assert kinds.index("spawn") < kinds.index("call") < kinds.index("reply")
    assert "exit" in kinds
    from firmware import repl

    text = capture(repl.trace, 4)
    assert len(text.splitlines()) == 4
    assert len(k.trace_events(2)) == 2


def test_trace_ring_keeps_only_the_last_n_events():
    k = kernel.Kernel(trace=8)

    def chatter():
        yield register("c")
        me = yield kernel.self_()
        for i in range(50):
            yield kernel.notify(me, 1)
            yield recv()

    k.spawn(chatter)
    k.run()
    events = k.trace_events()
    assert len(events) == 8
    assert events[-1][1] == "exit"


def test_repl_helpers_reach_the_last_kernel():
    from firmware import repl

    k = system()
    assert kernel.running_kernel() is k
    assert "server" in capture(repl.ps)
    assert "(no faults)" in capture(repl.faults)
    assert k.snapshot()["tasks"][0]["name"] == "server"


def test_stats_counts_switches_and_uptime():
    k = system()
    st = k.stats()
    assert st["tasks"] == 2
    assert st["switches"] >= 8
    assert st["uptime_ms"] >= 10
    assert st["faults"] == 0
