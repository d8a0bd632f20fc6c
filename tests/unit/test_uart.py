# uart server: loopback, exclusive open, closed on client death, bad requests.
import kernel
from hwtest import run, error_reply
from servers.api import uart
from servers.lib.base import ServerError


def test_loopback_write_read():
    def body():
        u = uart.client()
        assert (yield from u.open(0, 9600)) == 0
        assert (yield from u.read()) == b""
        assert (yield from u.write(b"ping\n", 0)) == 5
        assert (yield from u.any(0)) == 5
        assert (yield from u.read(2, 0)) == b"pi"
        assert (yield from u.read(-1, 0)) == b"ng\n"
        yield from u.close(0)
    run(body, ("uart",))


def test_open_is_exclusive_and_freed_when_owner_dies():
    def owner():
        yield from uart.client().open(1)
        yield kernel.sleep(20)

    def body():
        tid = yield kernel.spawn(owner)
        yield kernel.sleep(5)
        u = uart.client()
        try:
            yield from u.open(1)
            raise AssertionError("opened a UART someone else holds")
        except ServerError as e:
            assert e.code == "busy", e
        try:
            yield from u.write(b"x", 1)
            raise AssertionError("wrote to a UART someone else holds")
        except ServerError as e:
            assert e.code == "denied", e
        yield kernel.monitor(tid)
        yield kernel.recv(1000)
        yield kernel.sleep(2)
        assert (yield from u.open(1)) == 1
    run(body, ("uart",))


def test_bad_requests():
    def body():
        tid = yield kernel.lookup("uart")
        for bad in [("open", 7), ("open", 0, -5), ("open", 0, 9600, 5), ("write", b"x", 0),
                    ("read", 1, 0), ("close", 0), ("write", 12, 0)]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        assert (yield kernel.call(tid, ("open", 0))) == 0
    run(body, ("uart",))
