# log server: levels, ring, since/tail, send (fire-and-forget), persistence with rotation.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
import os
from kernel import call, lookup, send, sleep
from servers import log
from servers.api import log as log_api
from servers.lib.base import ServerError
from srvutil import run, server, tmpdir, rmtree


def texts(records):
    return [r[4] for r in records]


def test_levels_ring_tail_and_since():
    def body():
        c = log_api.client()
        assert (yield from c.log("info", "t", "one")) == 1
        assert (yield from c.log("debug", "t", "dropped")) == 0     # below "info"
        assert (yield from c.log("WARN", "t", "two")) == 2
        assert (yield from c.log(3, "t", "three")) == 3
        recs = yield from c.tail(10)
        assert [r[0] for r in recs] == [1, 2, 3]
        assert [r[2] for r in recs] == ["info", "warn", "error"]
        assert recs[0][3] == "t" and type(recs[0][1]) is int
        assert texts((yield from c.since(1))) == ["two", "three"]
        assert (yield from c.since(3)) == []
        for i in range(4, 10):
            yield from c.log("info", "t", "r%d" % i)
        # capacity 4: only the last four are kept
        assert [r[0] for r in (yield from c.tail(10))] == [6, 7, 8, 9]
        assert [r[0] for r in (yield from c.since(2))] == [6, 7, 8, 9]
        assert [r[0] for r in (yield from c.since(7, 1))] == [8]
        assert [r[0] for r in (yield from c.tail(2))] == [8, 9]
        # a reader that remembers a later seq (an earlier incarnation) gets what is kept
        assert [r[0] for r in (yield from c.since(500))] == [6, 7, 8, 9]
        st = yield from c.stats()
        assert st["seq"] == 9 and st["kept"] == 4 and st["filtered"] == 1 and st["overwritten"] == 5
        assert (yield from c.level()) == "info"
        assert (yield from c.level("debug")) == "debug"
        assert (yield from c.log("debug", "t", "now kept")) == 10
    run(body, [server(log.main, config={"capacity": 4, "level": "info"})])


def test_send_without_waiting_and_logger_helper():
    def body():
        srv = yield lookup("log")
        yield send(srv, ("log", "info", "fire", "and forget"))
        lg = log_api.Logger("helper")
        assert (yield from lg.warn("careful"))
        assert (yield from lg.info(12.5))          # non-text is logged as its repr
        yield sleep(10)
        recs = yield call(srv, ("tail", 5))
        assert [(r[2], r[3], r[4]) for r in recs] == [
            ("info", "fire", "and forget"), ("warn", "helper", "careful"), ("info", "helper", "12.5")]
        assert lg.dropped == 0
        # a full mailbox drops instead of blocking the writer
        for i in range(10):
            yield from lg.info("burst %d" % i)
        assert lg.dropped > 0
    run(body, [server(log.main, config={"capacity": 16}, name="log", mailbox=2)])


def test_logger_without_server_drops():
    def body():
        lg = log_api.Logger("x", name="nolog")
        assert not (yield from lg.info("nobody listens"))
        assert lg.dropped == 1
    run(body)


def test_bad_requests_get_errors():
    def body():
        srv = yield lookup("log")
        for msg in (("log", "loud", "t", "x"), ("log", 9, "t", "x"), ("log", "info", 5, "x"),
                    ("log", "info"), ("tail", -1), ("tail", "x"), ("since",), ("level", "nope"),
                    ("frobnicate",), "log"):
            r = yield call(srv, msg)
            assert type(r) is tuple and r[0] == "err" and r[1] == "badreq", (msg, r)
        try:
            yield from log_api.client().log("nope", "t", "x")
            assert False
        except ServerError as e:
            assert e.code == "badreq"
        assert (yield call(srv, ("log", "info", "t", "still here"))) == 1
    run(body, [server(log.main)])


def test_persistence_rotates_files():
    d = tmpdir()
    try:
        def body():
            c = log_api.client()
            yield from c.log("debug", "t", "ring only")
            for i in range(12):
                yield from c.log("info", "t", "line %02d" % i)
            files = yield from c.files()
            assert [p for p, _ in files] == [d + "/log.0", d + "/log.1", d + "/log.2"]
            assert all(sz <= 60 for _, sz in files)
            st = yield from c.stats()
            assert st["persisted"] == 12 and st["write_errors"] == 0
        run(body, [server(log.main, config={"capacity": 8, "level": "debug", "persist": {"dir": d, "max_bytes": 60, "files": 3, "level": "info"}})])
        assert sorted(os.listdir(d)) == ["log.0", "log.1", "log.2"]
        with open(d + "/log.0") as f:
            newest = f.read().split("\n")
        assert newest[-2].endswith("info t line 11"), newest
        assert newest[-2].split(" ")[0] == "13"
        everything = ""
        for k in (2, 1, 0):
            with open(d + "/log.%d" % k) as f:
                everything += f.read()
        assert "ring only" not in everything
        lines = [ln for ln in everything.split("\n") if ln]
        nums = [int(ln.split(" ")[0]) for ln in lines]
        assert nums == list(range(nums[0], 14)) and nums[0] > 2      # oldest rotated away
    finally:
        rmtree(d)
