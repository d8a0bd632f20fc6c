# timer server: periodic and one-shot notifications, cancel, ownership, bad requests.
import kernel
from kernel import KERNEL
from hwtest import run, error_reply
from servers.api import timer
from servers.lib.base import ServerError


def test_periodic_ticks_arrive_as_notifications():
    def body():
        t = timer.client()
        tid = yield from t.periodic(5, 4)
        ticks = 0
        while ticks < 3:
            sender, bits = yield kernel.recv(500)
            assert sender == KERNEL and bits == 4, (sender, bits)
            ticks += 1
        yield from t.cancel(tid)
        yield kernel.sleep(20)
        try:
            while True:                     # drain a tick that raced with cancel
                yield kernel.recv(0)
        except kernel.Timeout:
            pass
        try:
            yield kernel.recv(30)
            raise AssertionError("tick after cancel")
        except kernel.Timeout:
            pass
    run(body, ("timer",))


def test_oneshot_fires_once_and_frees_its_slot():
    def body():
        t = timer.client()
        yield from t.oneshot(5, 1)
        sender, bits = yield kernel.recv(500)
        assert (sender, bits) == (KERNEL, 1)
        try:
            yield kernel.recv(30)
            raise AssertionError("one-shot fired twice")
        except kernel.Timeout:
            pass
        assert (yield from t.timers()) == []
    run(body, ("timer",))


def test_cancel_needs_ownership_and_bad_requests():
    def body():
        tid = yield kernel.lookup("timer")
        for bad in [("periodic", 0), ("periodic", 10, 0), ("oneshot", -1), ("cancel", 99),
                    ("periodic", "10")]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        t = timer.client()
        i = yield from t.periodic(1000)
        assert (yield from t.cancel(i))
        try:
            yield from t.cancel(i)
            raise AssertionError("cancelled twice")
        except ServerError as e:
            assert e.code == "noent"
    run(body, ("timer",))
