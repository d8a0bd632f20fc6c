# Fault injection (kernel/injection.py): a privileged task makes another raise InjectedFault
# or MemoryError where it stands, or hang (never run again until killed); others are
# Denied. Runs under CPython and the MicroPython unix port.
import kernel
from kernel import recv, reply, call, register, lookup, inject, info, kill, sleep, monitor, Dead, Denied


def echo():
    yield register("echo")
    while True:
        s, m = yield recv()
        yield reply(s, m)


def sleeper():
    yield sleep(100000)


def run(body):
    k = kernel.Kernel()
    out = {}

    def wrapper():
        try:
            yield from body(out)
        finally:
            yield kernel.stop()
    k.spawn(wrapper, name="body", prio=1, privileged=True)
    k.run()
    return k, out


def test_an_injected_exception_ends_a_blocked_task_as_a_fault():
    def body(out):
        for kind, expect in (("exception", "InjectedFault"), ("memory", "MemoryError")):
            tid = yield kernel.spawn(echo)
            yield lookup("echo")
            yield monitor(tid)
            assert (yield inject(tid, kind)) is True
            s, m = yield recv(1000)
            assert m == ("down", tid, "fault:" + expect), m
            f = (yield info("faults", 1))[-1]
            assert f["tid"] == tid and f["type"] == expect, f
        # a task asleep with a timer, too: the timer is gone with it
        tid = yield kernel.spawn(sleeper)
        yield monitor(tid)
        yield inject(tid)
        s, m = yield recv(1000)
        assert m[2] == "fault:InjectedFault", m
        out["ok"] = True
    k, out = run(body)
    assert out.get("ok")
    assert not k._heap                         # no timer left behind


def test_an_injected_hang_stops_the_task_until_it_is_killed():
    def body(out):
        tid = yield kernel.spawn(echo)
        yield lookup("echo")
        assert (yield call(tid, 1, 500)) == 1
        yield inject(tid, "hang")
        try:
            yield call(tid, 2, 200)
            out["answered"] = True
        except kernel.Timeout:
            pass
        assert (yield info("task", tid))["state"] == "sleep"
        yield kill(tid)
        try:
            yield call(tid, 3, 200)
        except Dead:
            out["ok"] = True
    k, out = run(body)
    assert out.get("ok") and "answered" not in out


def test_injection_needs_the_privileged_right_and_a_known_kind():
    k = kernel.Kernel()
    victim = k.spawn(echo, name="echo")
    out = []

    def attacker():
        for kind in ("exception", "bogus"):
            try:
                yield inject(victim, kind)
                out.append("allowed")
            except Denied:
                out.append("denied")
            except ValueError:
                out.append("bad kind")

    def admin():
        try:
            yield inject(victim, "bogus")
        except ValueError:
            out.append("bad kind")
        try:
            yield inject(12345, "exception")
        except Dead:
            out.append("dead")
        yield kernel.stop()
    k.spawn(attacker, name="attacker", prio=2)
    k.spawn(admin, name="admin", prio=1, privileged=True)
    k.run()
    assert out == ["denied", "denied", "bad kind", "dead"], out
    assert k.task_info(victim)["state"] in ("ready", "recv")     # untouched


def test_a_call_the_kernel_has_no_memory_to_serve_fails_and_the_task_lives_on():
    # The heap runs out while the kernel serves a system call (here: adding the timer of
    # a recv with a timeout): the call raises MemoryError in the task, which goes on.
    k = kernel.Kernel()
    out = []
    real = k._timer_add
    fail = [1]

    def timer_add(t, ms):
        if fail[0]:
            fail[0] -= 1
            raise MemoryError("no room for the timer")
        return real(t, ms)
    k._timer_add = timer_add

    def task():
        try:
            yield recv(50)
        except MemoryError:
            out.append("MemoryError")
        try:
            yield recv(20)
        except kernel.Timeout:
            out.append("Timeout")
        yield kernel.stop()
    k.spawn(task, name="t", privileged=True)
    k.run()
    assert out == ["MemoryError", "Timeout"], out
    assert not k.faults()
