# Hostile and malformed requests get error replies and never end a server: out-of-range
# integers, requests that would take unbounded time, objects that are not plain data (a
# str subclass, an __eq__ that raises), huge names, handlers that raise anything at all.
# Each case was seen to crash or hold a server before. Runs under CPython (pytest) and the
# MicroPython unix port (mp_runner.py).
import kernel
from kernel import port
from hwtest import run, error_reply
from servers.lib import base
from servers.lib.base import serve, MAX_TEXT
from chaos.hostile import Sly, Touchy       # a str subclass whose methods raise; an
                                             # object whose every comparison raises
from srvutil import run as run_plain, server

HUGE = 2 ** 64


def ask(name, req):
    tid = yield kernel.lookup(name)
    return (yield kernel.call(tid, req, 2000))


def alive(name):
    tid = yield kernel.lookup(name)
    assert (yield kernel.call(tid, ("ping",), 1000)) is True
    return tid


def expect_refused(name, req, code="badreq"):
    before = yield from alive(name)
    r = yield from ask(name, req)
    assert error_reply(r) and r[1] == code, (name, req, r)
    assert len(r[2]) <= MAX_TEXT, (name, len(r[2]))
    assert (yield from alive(name)) == before, "%s restarted after %r" % (name, req)


def test_out_of_range_integers_are_refused_not_overflowed():
    def body():
        for _ in range(8):              # repeated: the critical watchdog must not escalate
            yield from expect_refused("watchdog", ("watch", HUGE))
        yield from expect_refused("timer", ("periodic", HUGE))
        yield from expect_refused("timer", ("oneshot", -1))
        yield from expect_refused("display", ("pixel", HUGE, 0, 1))
        yield from expect_refused("display", ("rect", 0, 0, HUGE, 1))
        yield from expect_refused("display", ("fill", HUGE))
        yield from expect_refused("i2c", ("readmem", 0x76, HUGE, 1))
        yield from expect_refused("i2c", ("read", HUGE, 1))
    run(body, ("watchdog", "timer", "i2c", "display"))


def test_a_huge_line_is_refused_at_once():
    def body():
        t0 = port.ticks_ms()
        yield from expect_refused("display", ("line", 0, 0, 0, 2 ** 31, 1))
        assert port.ticks_diff(port.ticks_ms(), t0) < 500
        tid = yield kernel.lookup("display")
        assert (yield kernel.call(tid, ("line", 0, 0, 1024, 1024, 1))) is True
    run(body, ("i2c", "display"))


def test_objects_that_are_not_plain_data_are_refused():
    def body():
        yield from expect_refused("gpio", ("claim", Sly("GP2")))
        yield from expect_refused("gpio", ("claim", "GP2", "in", Touchy()))
        yield from expect_refused("uart", ("open", 0, 9600, 8, Touchy()))
        yield from expect_refused("uart", ("write", bytearray(b"x"), Touchy()))
        yield from expect_refused("log", ("log", "info", "t", Touchy()))
        yield from expect_refused("log", ("log", "info", "t", [[[[1]]]]))
    run(body, ("gpio", "uart", "log"))


def test_huge_names_are_refused_with_a_short_text():
    def body():
        name = "GP" + "9" * 20000
        yield from expect_refused("gpio", ("claim", name))
        yield from expect_refused("gpio", (name,))
        yield from expect_refused("uart", ("write", b"x" * 20000))
    run(body, ("gpio", "uart"))


def test_a_str_subclass_cannot_reach_fs_resolve():
    import os
    from servers import fs
    from srvutil import tmpdir, rmtree
    root = tmpdir()
    try:
        def body():
            yield from expect_refused("fs", ("put", Sly("a"), b"x"))
            yield from expect_refused("fs", ("open", "a" * 5000))
            tid = yield kernel.lookup("fs")
            assert (yield kernel.call(tid, ("put", "a", b"x"))) == 1
        run_plain(body, [server(fs.main, config={"root": root + "/data", "quota": 1000}, name="fs")])
    finally:
        rmtree(root)
        assert not _exists(root, os)


def _exists(p, os):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


class Flaky:
    # A handler that raises whatever it is told to: every exception is an error reply.
    def op_boom(self, sender, what):
        if what == "key":
            return {}["missing"]
        if what == "memory":
            raise MemoryError()
        if what == "runtime":
            raise RuntimeError("x" * 10000)
        if what == "dead":
            raise kernel.Dead()
        if what == "gen":
            return self._later()
        return True

    def _later(self):
        yield kernel.sleep(1)
        raise ZeroDivisionError("later")


FLAKY = {"boom": ((("what", str),), "True", ())}


def flaky_server():
    yield from serve(FLAKY, Flaky(), "flaky")


def test_whatever_a_handler_raises_is_an_error_reply():
    def body():
        tid = yield kernel.lookup("flaky")
        for what, code in (("key", "badreq"), ("memory", "internal"), ("runtime", "internal"),
                           ("dead", "io"), ("gen", "internal")):
            r = yield kernel.call(tid, ("boom", what), 1000)
            assert error_reply(r) and r[1] == code and len(r[2]) <= MAX_TEXT, (what, r)
        assert (yield kernel.call(tid, ("boom", "ok"), 1000)) is True
        assert (yield kernel.call(tid, ("ping",), 1000)) is True
        assert (yield kernel.lookup("flaky")) == tid
    run_plain(body, [server(flaky_server, name="flaky")])


def test_bounded_argument_types_in_the_protocol_text():
    text = base.describe({"p": ((("x", (int, 0, 9)), ("s", (str, 4)), ("b", (bytes, 2), b"")),
                                "True", ())})
    assert text == "p(x, s, b=b'') -> True", text
    assert base.check({"p": ((("x", (int, 0, 9)),), "", ())}, ("p", 10))[1][1] == "badreq"
    assert base.check({"p": ((("x", (int, 0, 9)),), "", ())}, ("p", 9)) == ("p", [9])
    assert base.check({"p": ((("s", str),), "", ())}, ("p", Sly("a")))[1][1] == "badreq"
