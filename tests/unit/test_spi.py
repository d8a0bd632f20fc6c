# spi server: loopback transfer, configuration, bad requests.
import kernel
from hwtest import run, error_reply
from servers.api import spi


def test_transfer_loops_back():
    def body():
        s = spi.client()
        assert (yield from s.transfer(b"\x01\x02\xff")) == b"\x01\x02\xff"
        assert (yield from s.read(3, -1, 0xA5)) == b"\xa5\xa5\xa5"
        assert (yield from s.write(b"abc")) == 3
        assert (yield from s.configure(2000000, 0, 1, 1))
        assert (yield from s.transfer(b"z", 1)) == b"z"
    run(body, ("spi",))


def test_bad_requests():
    def body():
        tid = yield kernel.lookup("spi")
        for bad in [("transfer", b""), ("transfer", b"x", 5), ("read", 0), ("read", 5000),
                    ("configure", 0), ("configure", 1000, 0, 2), ("transfer", "text")]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        assert (yield kernel.call(tid, ("transfer", b"ok"))) == b"ok"
    run(body, ("spi",))
