# The one serving loop (servers/lib/base.serve) on a real kernel: a due_ms() hook ticks when
# it says, a request stream does not starve it, out of memory in on_kernel is survived
# by an impl with oom_retry_ms (the same message handled again) and ends one without,
# and close() runs however the server ends. Runs under CPython and the MicroPython unix
# port.
import kernel
from kernel import call, lookup, sleep, notify, port
from servers.lib.base import serve
from srvutil import run, server

PROTOCOL = {"count": ((), "ticks so far", ())}


class Ticker:
    # on_tick every 20 ms through due_ms(), not a period.
    def __init__(self):
        self.ticks = 0
        self.next = port.ticks_add(port.ticks_ms(), 20)

    def due_ms(self):
        return max(0, port.ticks_diff(self.next, port.ticks_ms()))

    def on_tick(self):
        self.ticks += 1
        self.next = port.ticks_add(port.ticks_ms(), 20)

    def op_count(self, sender):
        return self.ticks


def test_due_ms_ticks_even_under_a_stream_of_requests():
    def body():
        t = yield lookup("ticker")
        t0 = port.ticks_ms()
        n = 0
        while port.ticks_diff(port.ticks_ms(), t0) < 200:   # requests without a pause
            n = yield call(t, ("count",))
        assert 6 <= n <= 12, n                               # ~10 ticks in 200 ms

    run(body, [server(lambda: serve(PROTOCOL, Ticker(), "ticker"), name="ticker", prio=3)])


class Flaky:
    # on_kernel runs out of memory on its first try at each notification.
    def __init__(self, oom_retry_ms=None):
        if oom_retry_ms is not None:
            self.oom_retry_ms = oom_retry_ms
        self.seen = []
        self.tries = 0
        self.closed = False

    def on_kernel(self, msg):
        self.tries += 1
        if self.tries % 2:
            raise MemoryError("memory allocation failed")
        self.seen.append(msg)

    def op_count(self, sender):
        return self.seen

    def close(self):
        self.closed = True


def test_out_of_memory_is_survived_with_oom_retry_ms_and_the_message_handled_again():
    impl = Flaky(oom_retry_ms=5)

    def body():
        t = yield lookup("flaky")
        yield notify(t, 4)
        yield sleep(30)
        yield notify(t, 8)
        yield sleep(30)
        assert (yield call(t, ("count",))) == [4, 8]
        assert impl.tries == 4 and not impl.closed

    run(body, [server(lambda: serve(PROTOCOL, impl, "flaky"), name="flaky", prio=3)])


def test_out_of_memory_ends_a_server_without_oom_retry_ms_and_close_runs():
    impl = Flaky()

    def body():
        t = yield lookup("flaky")
        yield notify(t, 4)
        yield sleep(20)
        try:
            yield call(t, ("count",))
            raise AssertionError("the server lived on")
        except kernel.Dead:
            pass
        assert impl.closed and impl.seen == []

    k = run(body, [server(lambda: serve(PROTOCOL, impl, "flaky"), name="flaky", prio=3)])
    assert any(f["name"] == "flaky" and f["type"] == "MemoryError" for f in k.faults())
