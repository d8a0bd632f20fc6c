# pwm server: start/duty/freq/stop, ownership, bad requests.
import kernel
from hwtest import run, error_reply
from servers.api import pwm
from servers.lib.base import ServerError


def test_start_change_stop():
    def body():
        p = pwm.client()
        assert (yield from p.start("LED", 1000, 100)) == "GP25"
        yield from p.duty("LED", 32768)
        yield from p.freq("GP25", 2000)
        assert (yield from p.status("LED")) == (2000, 32768)
        yield from p.stop("LED")
        try:
            yield from p.status("LED")
            raise AssertionError("status of a stopped PWM")
        except ServerError as e:
            assert e.code == "noent"
    run(body, ("pwm",))


def test_bad_requests():
    def body():
        tid = yield kernel.lookup("pwm")
        for bad in [("start", "GP99", 1000), ("start", "GP4", 1), ("start", "GP4", 1000, 70000),
                    ("duty", "GP4", 5), ("stop", "GP4"), ("start", 4, 1000)]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        assert (yield kernel.call(tid, ("start", "GP4", 1000))) == "GP4"
    run(body, ("pwm",))
