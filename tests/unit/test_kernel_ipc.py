# Kernel IPC: send/recv/call/reply/notify, names, monitors, kill, spawn, errors.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
import kernel
from kernel import (send, recv, call, reply, notify, register, lookup, monitor, kill,
                    spawn, self_, sleep, exit, KERNEL, Dead, Full, Denied, Timeout, IPCError)
from unitutil import raises


def echo_server(name="echo"):
    yield register(name)
    while True:
        s, m = yield recv()
        yield reply(s, ("echo", m))


def test_call_reply_round_trip():
    k = kernel.Kernel()
    got = []

    def client():
        srv = yield lookup("echo")
        for i in range(5):
            got.append((yield call(srv, i)))

    k.spawn(echo_server)
    k.spawn(client)
    assert k.run() == "idle"
    assert got == [("echo", i) for i in range(5)]


def test_send_is_fifo_per_mailbox():
    k = kernel.Kernel()
    seen = []

    def sink():
        yield register("sink")
        for _ in range(6):
            s, m = yield recv()
            seen.append(m)

    def producer(tag):
        dst = yield lookup("sink")
        for i in range(3):
            yield send(dst, (tag, i))

    k.spawn(sink, mailbox=8)
    k.spawn(producer, "a")
    k.spawn(producer, "b")
    k.run()
    assert [m for m in seen if m[0] == "a"] == [("a", 0), ("a", 1), ("a", 2)]
    assert [m for m in seen if m[0] == "b"] == [("b", 0), ("b", 1), ("b", 2)]
    assert len(seen) == 6


def test_recv_returns_sender_tid():
    k = kernel.Kernel()
    pairs = []

    def sink():
        s, m = yield recv()
        pairs.append((s, m))

    sink_tid = k.spawn(sink)

    def sender():
        me = yield self_()
        pairs.append(("me", me))
        yield send(sink_tid, "hi")

    k.spawn(sender)
    k.run()
    me = [p[1] for p in pairs if p[0] == "me"][0]
    assert (me, "hi") in pairs


def test_full_mailbox_raises_in_sender_and_loses_nothing():
    k = kernel.Kernel()
    result = {}

    def slow():
        yield sleep(20)
        got = []
        while True:
            try:
                s, m = yield recv(timeout=0)
            except Timeout:
                break
            got.append(m)
        result["got"] = got

    dst = k.spawn(slow, mailbox=2)

    def fast():
        yield send(dst, 1)
        yield send(dst, 2)
        try:
            yield send(dst, 3)
            result["third"] = "sent"
        except Full:
            result["third"] = "full"

    k.spawn(fast)
    k.run()
    assert result["third"] == "full"
    assert result["got"] == [1, 2]


def test_call_to_full_mailbox_raises_full():
    k = kernel.Kernel()
    out = []

    def busy():
        yield sleep(30)

    dst = k.spawn(busy, mailbox=1)

    def filler():
        yield send(dst, "x")

    def caller():
        try:
            yield call(dst, "y")
        except Full:
            out.append("full")

    k.spawn(filler)
    k.spawn(caller)
    k.run()
    assert out == ["full"]


def test_recv_timeout_and_poll():
    k = kernel.Kernel()
    out = []

    def t():
        try:
            yield recv(timeout=0)
        except Timeout:
            out.append("poll")
        try:
            yield recv(timeout=15)
        except Timeout:
            out.append("timeout")

    k.spawn(t)
    k.run()
    assert out == ["poll", "timeout"]


def test_call_timeout_when_server_never_replies():
    k = kernel.Kernel()
    out = []

    def mute():
        yield register("mute")
        while True:
            yield recv()                # takes calls, never replies

    def client():
        srv = yield lookup("mute")
        try:
            yield call(srv, "hello?", timeout=20)
        except Timeout:
            out.append("timeout")
        # A later call still works the same way: the kernel kept nothing stale.
        try:
            yield call(srv, "again", timeout=5)
        except Timeout:
            out.append("timeout2")

    k.spawn(mute)
    k.spawn(client)
    k.run()
    assert out == ["timeout", "timeout2"]


def test_call_timeout_while_queued_takes_message_back():
    k = kernel.Kernel()
    seen = []

    def sleepy():
        yield sleep(40)                 # does not receive while the call is queued
        while True:
            try:
                s, m = yield recv(timeout=0)
            except Timeout:
                return
            seen.append(m)

    dst = k.spawn(sleepy)
    out = []

    def client():
        try:
            yield call(dst, "withdrawn", timeout=10)
        except Timeout:
            out.append("timeout")

    k.spawn(client)
    k.run()
    assert out == ["timeout"]
    assert seen == []                   # the timed-out call never reached the server


def test_server_death_fails_waiting_callers_with_dead():
    k = kernel.Kernel()
    out = []

    def crashy():
        yield register("crashy")
        yield sleep(10)                 # let all three calls queue up
        s, m = yield recv()             # take one call, then crash before replying
        raise ValueError("driver bug")

    def client(n):
        srv = yield lookup("crashy")
        try:
            yield call(srv, n)
            out.append(("reply", n))
        except Dead:
            out.append(("dead", n))

    k.spawn(crashy)
    for n in range(3):                  # one reply-blocked, two send-blocked
        k.spawn(client, n)
    assert k.run() == "idle"
    assert sorted(out) == [("dead", 0), ("dead", 1), ("dead", 2)]
    assert k.faults()[-1]["type"] == "ValueError"


def test_call_to_dead_tid_raises_dead_and_generation_protects_reused_slot():
    k = kernel.Kernel()

    def short():
        yield sleep(0)

    old = k.spawn(short)
    k.run()
    out = []

    def newcomer():
        yield register("new")
        while True:
            s, m = yield recv()
            out.append(("new got", m))
            yield reply(s, "ok")

    new = k.spawn(newcomer)
    assert new != old
    assert (new & 1023) == (old & 1023)     # same slot, new generation

    def client():
        try:
            yield send(old, "for the old one")
        except Dead:
            out.append("send dead")
        try:
            yield call(old, "for the old one")
        except Dead:
            out.append("call dead")

    k.spawn(client)
    k.run()
    assert out == ["send dead", "call dead"]


def test_notify_coalesces_bits_and_comes_before_messages():
    k = kernel.Kernel()
    got = []

    def waiter():
        yield sleep(10)                 # let bits and a message pile up
        for _ in range(2):
            got.append((yield recv()))

    w = k.spawn(waiter)

    def notifier():
        yield send(w, "msg")
        yield notify(w, 1)
        yield notify(w, 4)
        yield notify(w, 1)

    k.spawn(notifier)
    k.run()
    assert got[0] == (KERNEL, 5)
    assert got[1][1] == "msg"


def test_notify_wakes_blocked_receiver_and_irq_notify_is_drained():
    k = kernel.Kernel()
    got = []

    def waiter():
        got.append((yield recv()))
        got.append((yield recv()))

    w = k.spawn(waiter)

    def isr_like():
        yield sleep(5)
        assert k.irq_notify(w, 2)       # the path an interrupt handler takes
        yield sleep(5)
        yield notify(w, 8)

    k.spawn(isr_like)
    k.run()
    assert got == [(KERNEL, 2), (KERNEL, 8)]


def test_lookup_waits_for_registration_and_times_out():
    k = kernel.Kernel()
    out = []

    def late():
        yield sleep(10)
        yield register("late")
        yield recv(timeout=50)

    def finder():
        tid = yield lookup("late")
        out.append(tid)
        try:
            yield lookup("never", timeout=5)
        except Timeout:
            out.append("timeout")

    late_tid = k.spawn(late)
    k.spawn(finder)
    k.run()
    assert out == [late_tid, "timeout"]


def test_register_taken_name_fails_and_name_is_freed_on_death():
    k = kernel.Kernel()
    out = []

    def first():
        yield register("svc")
        yield sleep(10)

    def second():
        try:
            yield register("svc")
        except IPCError:
            out.append("taken")
        yield sleep(20)                 # first has ended by now
        yield register("svc")
        out.append("mine")

    k.spawn(first)
    k.spawn(second)
    k.run()
    assert out == ["taken", "mine"]


def test_monitor_reports_reason():
    k = kernel.Kernel()
    downs = []

    def normal():
        yield sleep(1)

    def crash():
        yield sleep(2)
        raise KeyError("x")

    def victim():
        yield recv()

    a = k.spawn(normal)
    b = k.spawn(crash)
    c = k.spawn(victim)

    def watcher():
        for t in (a, b, c):
            yield monitor(t)
        yield sleep(5)
        yield kill(c)
        for _ in range(3):
            s, m = yield recv()
            assert s == KERNEL
            downs.append(m)
        yield monitor(a)                # already gone
        s, m = yield recv()
        downs.append(m)

    k.spawn(watcher, privileged=True)      # kills another task
    k.run()
    assert ("down", a, "normal") in downs
    assert ("down", b, "fault:KeyError") in downs
    assert ("down", c, "killed") in downs
    assert downs[-1] == ("down", a, "noproc")


def test_kill_runs_finally_and_self_exit():
    k = kernel.Kernel()
    out = []

    def victim():
        try:
            yield recv()
        finally:
            out.append("cleaned up")

    def quitter():
        yield exit()
        out.append("never")

    v = k.spawn(victim)
    q = k.spawn(quitter)

    def killer():
        yield sleep(1)
        yield kill(v)
        try:
            yield kill(v)
        except Dead:
            out.append("already dead")

    k.spawn(killer, privileged=True)
    k.run()
    assert out == ["cleaned up", "already dead"]
    assert v not in k.tasks() and q not in k.tasks()


def test_spawn_syscall_and_caps_are_inherited():
    k = kernel.Kernel()
    out = []

    def child(x):
        me = yield self_()
        out.append(("child", x, me))
        try:
            yield send(out[0][1], "x")
        except Denied:
            out.append("child denied")

    def parent():
        allowed = yield lookup("echo")
        out.insert(0, ("allowed", allowed))
        tid = yield spawn(child, 42, name="kid")
        out.append(("spawned", tid))

    k.spawn(echo_server)
    k.spawn(parent, caps=["echo"])
    k.run()
    child_tid = [o for o in out if o[0] == "spawned"][0][1]
    assert ("child", 42, child_tid) in out
    # the parent's caps (only "echo") pass to the child: sending to echo is allowed
    assert "child denied" not in out


def test_caps_deny_and_allow_by_tid_and_name():
    k = kernel.Kernel()
    out = []

    def other():
        yield register("other")
        while True:
            s, m = yield recv()
            yield reply(s, "other ok")

    k.spawn(echo_server)
    k.spawn(other)

    def restricted():
        e = yield lookup("echo")
        o = yield lookup("other")
        out.append((yield call(e, 1)))
        try:
            yield call(o, 2)
        except Denied:
            out.append("denied call")
        try:
            yield send(o, 2)
        except Denied:
            out.append("denied send")
        try:
            yield notify(o, 1)
        except Denied:
            out.append("denied notify")

    k.spawn(restricted, caps=("echo",))
    k.run()
    assert out == [("echo", 1), "denied call", "denied send", "denied notify"]


def test_reply_to_caller_that_gave_up_returns_false():
    k = kernel.Kernel()
    out = []

    def slow():
        yield register("slow")
        s, m = yield recv()
        yield sleep(30)
        out.append(("reply delivered", (yield reply(s, "late"))))

    def client():
        srv = yield lookup("slow")
        try:
            yield call(srv, 1, timeout=5)
        except Timeout:
            out.append("gave up")

    k.spawn(slow)
    k.spawn(client)
    k.run()
    assert out == ["gave up", ("reply delivered", False)]


def test_call_to_self_is_refused():
    k = kernel.Kernel()
    out = []

    def narcissist():
        me = yield self_()
        try:
            yield call(me, "hi")
        except IPCError:
            out.append("refused")

    k.spawn(narcissist)
    k.run()
    assert out == ["refused"]


def test_bad_destination_is_dead_not_a_crash():
    k = kernel.Kernel()
    out = []

    def t():
        for bad in (0, -3, 999999, "name", None):
            try:
                yield call(bad, 1)
            except Dead:
                out.append("dead")

    k.spawn(t)
    k.run()
    assert out == ["dead"] * 5


def test_async_def_tasks_use_the_same_syscalls():
    k = kernel.Kernel()
    out = []

    async def aserver():
        await register("aecho")
        while True:
            s, m = await recv()
            await reply(s, m * 2)

    async def aclient():
        srv = await lookup("aecho")
        out.append(await call(srv, 21))
        await sleep(1)
        try:
            await recv(timeout=0)
        except Timeout:
            out.append("timeout")

    k.spawn(aserver)
    k.spawn(aclient)
    k.run()
    assert out == [42, "timeout"]


def test_spawn_rejects_non_generators():
    k = kernel.Kernel()

    def plain():
        return 1

    raises(TypeError, k.spawn, plain)
    raises(TypeError, k.spawn, 42)
    raises(ValueError, k.spawn, echo_server, prio=99)
